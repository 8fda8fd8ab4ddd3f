"""The console function: serves the web console's built files (the SPA in console/) from the API's own origin."""
