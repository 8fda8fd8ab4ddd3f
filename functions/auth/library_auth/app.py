"""The auth function: registration, login, tokens, profiles, users, permissions and groups."""

from library_auth.routes import profile
from library_common.api import create_app, lambda_handler_for

app = create_app()
app.include_router(profile.router)

lambda_handler = lambda_handler_for(app)
