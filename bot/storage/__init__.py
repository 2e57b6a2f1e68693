"""SQLite storage (aiosqlite): attempts, settings, reminders, unanswered questions, feedback.

No Discord here: the cogs translate between interactions and these repositories.
"""

from bot.storage._migrate import DatabaseTooNewError, MigrationError
from bot.storage.attempts import AttemptRepository, DuplicateAttemptError, StoredAttempt
from bot.storage.database import Database
from bot.storage.feedback import Feedback, FeedbackRepository
from bot.storage.reminders import Reminder, ReminderRepository
from bot.storage.settings import DEFAULT_TIMEZONE, SettingsRepository
from bot.storage.unanswered import UnansweredRepository, normalize_question

__all__ = [
    "DEFAULT_TIMEZONE",
    "AttemptRepository",
    "Database",
    "DatabaseTooNewError",
    "DuplicateAttemptError",
    "Feedback",
    "FeedbackRepository",
    "MigrationError",
    "Reminder",
    "ReminderRepository",
    "SettingsRepository",
    "StoredAttempt",
    "UnansweredRepository",
    "normalize_question",
]
