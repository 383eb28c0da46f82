"""Prometheus metrics (GET /metrics): requests, latency, GraphQL operations, login outcomes."""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "studygate_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "studygate_http_request_duration_seconds", "HTTP request latency", ["method", "route"]
)
GRAPHQL_OPERATIONS = Counter(
    "studygate_graphql_operations_total", "GraphQL operations", ["operation_type", "outcome"]
)
LOGIN_OUTCOMES = Counter("studygate_login_outcomes_total", "Login outcomes", ["method", "outcome"])
