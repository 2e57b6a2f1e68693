"""A member's own log and eligibility as Markdown, for any :class:`~bot.surfaces.Surface`.

Dates come from the engine as instants and are written by ``surface.time`` (Discord
timestamps, or the member's local time in the console); commands are named by
``surface.command``; rule and status labels are keyed by the engine's own constants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.member_log import REMINDABLE, ExamStatus, LoggedAttempt, ReminderOutcome, WhatIf
from bot.storage import StoredAttempt
from bot.surfaces import Surface
from knowledge import rules
from knowledge.models import Exam
from knowledge.rules import Eligibility, Status

STATUS_LABELS: dict[Status, str] = {
    Status.ELIGIBLE: "✅ You can take it now",
    Status.WAITING: "⏳ Waiting",
    Status.LIMIT_REACHED: "⛔ Attempt limit reached",
    Status.PASSED: "🎉 Passed",
    Status.RETIRED: "🪦 Retired",
    Status.RETIRES_FIRST: "⚠️ Retires before your wait ends",
}
RULE_LABELS: dict[str, str] = {
    rules.RULE_PASSED: "a passed exam can't be retaken",
    rules.RULE_RETIRED: "a retired exam can't be taken",
    rules.RULE_RETIRES_FIRST: "the exam retires before your wait ends",
    rules.RULE_ATTEMPT_LIMIT: "attempt limit per window",
    rules.RULE_FIRST_WAIT: "wait after a failed first attempt",
    rules.RULE_LATER_WAIT: "wait after each later failed attempt",
    rules.RULE_NO_ATTEMPTS: "no attempts logged",
}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def exam_heading(exam: Exam) -> str:
    return f"**{exam.code}**" + (f" — {exam.title}" if exam.title else "")


def retirement_lead(exam: Exam, surface: Surface, now: dt.datetime) -> str | None:
    """What comes first in any personal answer about a retired or retiring exam."""
    if exam.retires_at is None:
        return None
    successor = f" Its successor is **{exam.successor}**." if exam.successor else ""
    if exam.is_retired(now):
        return (
            f"🪦 **{exam.code} retired on {surface.time(exam.retires_at)}**: it can no longer "
            f"be taken.{successor}"
        )
    return f"⚠️ **{exam.code} retires on {surface.time(exam.retires_at)}.**{successor}"


def describe_status(status: ExamStatus, surface: Surface, now: dt.datetime) -> str:
    """Status, next chance, the rule, the window, retirement and reminder."""
    exam, elig = status.exam, status.eligibility
    lines = [exam_heading(exam)]
    lead = retirement_lead(exam, surface, now)
    if lead is not None:
        lines.append(lead)
    lines.append(f"**Status:** {STATUS_LABELS.get(elig.status, elig.status)}")
    if elig.earliest is not None and elig.status in REMINDABLE:
        lines.append(f"**Next chance:** {surface.time(elig.earliest)}")
    elif elig.status is Status.ELIGIBLE:
        lines.append("**Next chance:** now")
    elif elig.status is Status.RETIRES_FIRST and elig.earliest is not None:
        lines.append(f"**Your wait would end:** {surface.time(elig.earliest)} — after retirement")
    lines.append(f"**Rule:** {RULE_LABELS.get(elig.rule, elig.rule)}")
    if elig.status is not Status.RETIRED:  # the lead already says it retired, and when
        lines.append(elig.explain(surface.time))
    counting = elig.status not in {Status.PASSED, Status.RETIRED}
    if counting and elig.window_start is not None and elig.window_ends is not None:
        limit = f" of {status.policy.max_attempts_per_window}" if status.policy else ""
        lines.append(
            f"**Attempts in this window:** {elig.attempts_in_window}{limit} "
            f"(window resets {surface.time(elig.window_ends)})"
        )
    reminder = status.reminder
    if reminder is not None and reminder.enabled and reminder.sent_at is None:
        lines.append(f"🔔 Reminder set for {surface.time(reminder.due_at)}.")
    return "\n".join(lines)


def attempt_label(attempt: StoredAttempt, number: tuple[int, int], surface: Surface) -> str:
    """Two lines: "2nd attempt at AZ-104 — fail, score 640 — <when>", then the stable
    id (what ``edit`` and ``delete`` take) in small print."""
    window, nth = number
    which = f"{ordinal(nth)} attempt at **{attempt.exam_code}**"
    if window > 1:
        which += f" (window {window})"
    score = f", score {attempt.score}" if attempt.score is not None else ""
    assumed = " (time assumed)" if not attempt.time_given else ""
    when = surface.time(attempt.taken_at)
    return f"{which} — {attempt.result}{score} — {when}{assumed}\n" + surface.small(
        f"id {attempt.id}"
    )


def describe_attempts(
    attempts: Sequence[StoredAttempt],
    numbers: dict[int, tuple[int, int]],
    surface: Surface,
) -> str:
    """The member's log, one line per attempt, numbered as they count."""
    if not attempts:
        return f"You haven't logged any attempts yet. Add one with {surface.command('log')}."
    lines = [f"**Your attempts** ({len(attempts)}):"]
    lines += [f"- {attempt_label(a, numbers[a.id], surface)}" for a in attempts]
    lines.append(
        surface.small(
            f"Correct one with {surface.command('edit')}, remove one with "
            f"{surface.command('delete')}, using the id under it."
        )
    )
    return "\n".join(lines)


def describe_logged(logged: LoggedAttempt, surface: Surface, now: dt.datetime) -> str:
    """The confirmation after logging or editing: what was stored, assumptions,
    warnings, and the eligibility it gives."""
    attempt = logged.attempt
    score = f", score {attempt.score}" if attempt.score is not None else ""
    verb = "Updated" if logged.edited else "Logged"
    lines = [
        f"📝 {verb} your {ordinal(logged.ordinal[1])} attempt at **{attempt.exam_code}** — "
        f"**{attempt.result}**{score}, taken {surface.time(attempt.taken_at)}.",
        surface.small(f"id {attempt.id}"),
    ]
    if logged.time_assumed:
        lines.append(
            "🕚 No time given, so I assumed the latest it can have been that day "
            f"({surface.time(attempt.taken_at)}): a wait computed from it is never too short. "
            "If you know the start time, set it (Set the time) and I'll correct this "
            "attempt — no need to log it again."
        )
    if logged.placed.ambiguous:
        lines.append(
            "🕐 That time happened twice that night (the clocks went back), so I used the "
            f"later one, {surface.time(attempt.taken_at)}: a wait from it never ends early."
        )
    lines += [f"🔎 {note}" for note in logged.notes]
    lines += [f"⚠️ {issue.render(surface.time)}" for issue in logged.warnings]
    if logged.same_day:
        others = ", ".join(f"id {a.id}" for a in logged.same_day)
        lines.append(
            f"⚠️ You also logged a failed {attempt.exam_code} attempt on that same day "
            f"({others}). If it was the same sitting, merge them so it counts once."
        )
    lines.append("")
    lines.append(describe_status(logged.status, surface, now))
    return "\n".join(lines)


def describe_what_if(result: WhatIf, surface: Surface, now: dt.datetime) -> str:
    """A hypothetical failure, labelled as such; nothing was stored."""
    exam = result.exam
    lines = [f"🔮 **Hypothetical** — nothing is logged. If you failed **{exam.code}** on "
             f"{surface.time(result.fail_at)}:"]  # fmt: skip
    lead = retirement_lead(exam, surface, now)
    if lead is not None:
        lines.insert(0, lead)
    if result.eligibility is None:
        refused = result.refused
        assert refused is not None
        lines.append(
            f"you couldn't sit it then. {refused.explain(surface.time)}"
            if refused.status is not Status.ELIGIBLE
            else "you couldn't sit it then."
        )
        return "\n".join(lines)
    elig = result.eligibility
    if elig.earliest is not None and elig.status in REMINDABLE:
        lines.append(f"**Your next chance would be:** {surface.time(elig.earliest)}")
    lines.append(f"**Rule:** {RULE_LABELS.get(elig.rule, elig.rule)}")
    lines.append(elig.explain(surface.time))
    return "\n".join(lines)


def describe_reminder(outcome: ReminderOutcome, surface: Surface) -> str:
    """Why a reminder was set, or why there is nothing to remind about."""
    code = outcome.status.exam.code
    successor = outcome.status.exam.successor
    reasons = {
        "set": f"🔔 I'll DM you when you can take {code} again.",
        str(Status.PASSED): f"You passed {code}: there's no retake to remind you about.",
        str(Status.RETIRED): f"{code} has retired, so there's no next attempt to remind you "
        "about." + (f" Its successor is {successor}." if successor else ""),
        str(Status.RETIRES_FIRST): f"{code} retires before your wait ends, so there's no "
        "next attempt to remind you about.",
        "no-attempts": f"You haven't logged any {code} attempt, so there's no wait: you can "
        f"take it now. Log a failed attempt with {surface.command('log')} first.",
    }
    return reasons.get(outcome.reason, f"You can already take {code} now: no reminder needed.")


def describe_general_rule(exam: Exam, eligibility: Eligibility, surface: Surface) -> str:
    """For an exam the member logged nothing for: the rule, and how to log."""
    return (
        f"You haven't logged any **{exam.code}** attempts, so as far as I know you can "
        f"take it now. {eligibility.explain(surface.time)}\n"
        f"If you've already taken it, log it with {surface.command('log')} and I'll work "
        "out your exact dates."
    )

