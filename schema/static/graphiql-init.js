// Starts GraphiQL against this server's /graphql; every asset comes from /static/ (S4).
(function () {
  var fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  ReactDOM.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: "{\n  currentEnvironment {\n    code\n    name\n  }\n}\n",
    }),
    document.getElementById("graphiql")
  );
})();
