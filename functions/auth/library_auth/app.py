"""The auth function: registration, login, tokens, profiles, users, permissions and groups."""

from library_common import cold_start

# Until the handler is built (library_common.api.lambda_handler_for).
cold_start.pause_collection()

from library_auth.routes import access, password_reset, profile, sessions, users
from library_common.api import create_app, lambda_handler_for

app = create_app()
app.include_router(profile.router)
app.include_router(sessions.router)
app.include_router(password_reset.router)
app.include_router(users.router)
app.include_router(access.router)

lambda_handler = lambda_handler_for(app)
