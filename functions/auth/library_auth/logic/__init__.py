"""The identity rules, one module per question.

- `access`: what a user may do (effective permissions), the permissions and the groups that bundle them.
- `accounts`: who a user is: registration, profiles, staff administration, deactivation, password rules.
- `sessions`: signing in: login and its lockout, refresh tokens (rotation, reuse detection), logout.
"""
