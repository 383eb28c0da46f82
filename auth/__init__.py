"""Who is asking and what they may do: sessions, passwords, codes, API clients, policy."""
