"""Request and response models of the auth function."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class GroupRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class Profile(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    role: str
    is_active: bool
    membership_date: date
    groups: list[GroupRef]
    permissions: list[str]
