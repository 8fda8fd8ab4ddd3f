"""The loans function: circulation (loans, holds, fines), the lending policy and circulation reports."""

from library_common import cold_start

# Until the handler is built (library_common.api.lambda_handler_for).
cold_start.pause_collection()

from library_common.api import create_app, lambda_handler_for
from library_loans.routes import fines, holds, loans, notifications, policies, reports

app = create_app()
app.include_router(loans.router)
app.include_router(holds.router)
app.include_router(fines.router)
app.include_router(policies.router)
app.include_router(reports.router)
app.include_router(notifications.router)

lambda_handler = lambda_handler_for(app)
