"""Every Flask extension, created here and initialised in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from tracker.core.model import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

# Models derive from Model, which is db.Model. mypy cannot take a base class from an
# attribute of an object, so it sees Base, whose columns and relationships are the same.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
