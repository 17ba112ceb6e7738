"""Pages every user shares: login, home, language, health."""
