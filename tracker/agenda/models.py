"""The topics the team adds to a meeting's agenda, in their order."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.model import Record
from tracker.extensions import Model


class AgendaTopic(Record, Model):
    """One point of an exchange's agenda ("Stand Datenplattform", "Termin der nächsten Runde")."""

    __tablename__ = "agenda_topics"
    __table_args__ = (
        CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),
        Index("ix_agenda_topics_exchange_position", "exchange_id", "position"),
    )

    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"))
    #: The order on the agenda, lowest first (gaps allowed; ties by id).
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text, info={"max_length": 2_000})

    def __repr__(self) -> str:
        return f"<AgendaTopic {self.id} of exchange {self.exchange_id}>"
