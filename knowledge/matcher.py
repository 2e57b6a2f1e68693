"""Match a member's question to one FAQ entry, or abstain.

The matcher is pure and synchronous (no discord, no clock). For each question it:

1. normalises the text (:mod:`knowledge.normalize`) and spells typos back onto the
   knowledge base's vocabulary;
2. refuses explicit out-of-scope questions (other vendors' exams, driving tests, game
   refunds, Azure how-tos, small talk …): a Microsoft answer to an AWS question is
   worse than "I don't know";
3. scores entries with a BM25-like lexical relevance of the question's words (IDF
   from the knowledge base, each word weighted by the share of the entry's phrasings
   that use it; through an inverted index, so 10,000 entries stay fast), then re-scores
   the best few with rapidfuzz over every pre-normalised phrasing, title and keyword,
   and by the exam codes asked about (an entry most of whose phrasings name AI-102 is
   about AI-102, not AZ-500);
4. turns the best score and its margin over the runner-up into a calibrated
   confidence (a logistic fit on the tune split of ``eval/questions.tsv``) and abstains
   below :data:`ABSTAIN_BELOW`.
"""

from __future__ import annotations

import heapq
import math
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain, pairwise

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from knowledge.models import FaqEntry, KnowledgeBase
from knowledge.normalize import (
    CODE_PLACEHOLDER,
    FUNCTION_WORDS,
    GRAMMAR_WORDS,
    SYNONYM_SOURCES,
    content_tokens,
    exam_codes,
    normalize,
    stem,
)

# Confidence below which the matcher abstains, and below which an answer is shown
# with "Did you mean…" suggestions.
ABSTAIN_BELOW = 0.5
LOW_CONFIDENCE_BELOW = 0.7
# A candidate must score at least this (raw, 0-1) to be offered as a suggestion.
SUGGEST_MIN_SCORE = 0.35
# The best candidate's score (after the unknown-word discount) needed to answer at all.
ANSWER_MIN_SCORE = 0.35
MAX_RUNNERS_UP = 3
AUTOCOMPLETE_MAX_TEXTS = 5000
# A question must carry at least this much information (IDF mass of its known words,
# in units of the rarest word) to be answered rather than asked back.
MIN_INFORMATION = 0.15
# Questions whose scores are kept (oldest dropped first).
SCORE_CACHE_SIZE = 2048
# Entries re-scored with the fuzzy scorers after the inverted-index pass.
SHORTLIST = 6

# Raw score = FUZZY_WEIGHT × fuzzy similarity + (1 - FUZZY_WEIGHT) × IDF coverage, plus
# small bonuses: a keyword phrase said word for word, the exam code asked about.
FUZZY_WEIGHT = 0.5
# At most this many of an entry's texts (those sharing the largest part of their words
# with the question) go through token_set_ratio: in cross-validation more texts changed
# no answer, and they cost a third of the fuzzy pass.
SET_PASS_TEXTS = 5
KEYWORD_BONUS = 0.05
# Word pairs: two question words side by side that an entry's texts also put side by
# side ("get wrong", "push back", "money back") say more than the two words apart.
# Each shared pair adds its IDF (over entries) times this, as a share of the question's
# pair IDF mass.
PAIR_WEIGHT = 0.1
# An entry's own concept signal (FaqEntry.signals) found in the question.
SIGNAL_BONUS = 0.15
# Discriminative evidence: a multinomial naive Bayes over the entries' texts says which
# of the shortlisted entries a question's words favour (a word half of one entry's
# phrasings use and few of its neighbour's). Its posterior over the shortlist, times
# this weight, is added to the score.
BAYES_WEIGHT = 0.1
BAYES_ALPHA = 0.1
# Share of a question's IDF mass the knowledge base must know for its score to count
# in full; below it the score is scaled down in proportion.
KNOWN_FULL = 0.7
CODE_BONUS = 0.03
# An entry about particular exams (a code in at least CODE_SPECIFIC_SHARE of its
# phrasings: AI-102's retirement) asked about a code it never mentions.
# Entries naming an exam code in at least this share of their phrasings are about
# exams; those naming one code that often are about that exam.
CODE_SPECIFIC_SHARE = 0.3
CODE_SPECIFIC_BONUS = 0.08
CODE_MISMATCH = 0.4
# Lexical relevance: a question word found in an entry counts TF_FLOOR of its IDF, plus
# the rest in proportion to a BM25-like saturation of the share r of the entry's texts
# that use it, (1 + TF_K)·r / (r + TF_K): a word most phrasings share is the entry's
# concept, a word one phrasing mentions in passing is not.
TF_FLOOR = 0.6
TF_K = 0.3

# A first-person question about the member's own next attempt ("when can I retake")
# favours the personal entry; a question without "I" or "my" does not go there.
PERSONAL_BONUS = 0.15
IMPERSONAL_PENALTY = 0.1
PERSONAL_OTHER_PENALTY = 0.03

# Logistic calibration of (top score, margin over the runner-up, information) →
# P(correct); fitted by ``python -m eval.run --fit`` on questions each fold's matcher had
# not learnt from (held-out member questions, and the tune split's out-of-scope ones).
CALIBRATION = (-3.3, 4.31, 4.86, 0.27)  # bias, top, margin, information

# Entries offered first when the autocomplete box is empty: the questions the study
# group asks most (a judgement, not usage data; unknown ids are skipped).
POPULAR_ENTRIES = (
    "my-eligibility",
    "retake-first-wait",
    "retake-later-waits",
    "attempt-limit",
    "retake-cost",
    "passing-score",
    "retirement",
    "successor-exam",
    "reschedule",
    "renewal",
)

# --- explicit out-of-scope signals -------------------------------------------------
_OTHER_VENDORS = re.compile(
    r"\b(aws|amazon|google (cloud|certification|certified|professional|associate|data|ace|pca|"
    r"pde|exam|cert)|"
    r"gcp|comptia|cisco|ccna|ccnp|ccie|oracle|salesforce|pmp|pmi|capm|"
    r"itil|prince2|vmware|red ?hat|rhcsa|rhce|linux foundation|cka|ckad|cks|kubernetes "
    r"certification|isc2|cissp|ccsp|cism|cisa|cisco devnet|ceh|ec-council|sans|giac|"
    r"terraform associate|hashicorp|"
    r"databricks|snowflake|tableau|servicenow|sap|juniper|fortinet|palo alto|checkpoint|"
    r"alibaba|ibm|adobe|scrum ?master|psm|csm|six sigma|cfa|cpa|acca|security\+|network\+|"
    r"a\+|linux\+|cloud\+|cysa\+|pentest\+|server\+|data\+|tech\+|project\+|"
    r"solutions architect associate|cloud practitioner|cloud digital leader|"
    r"associate cloud engineer|professional cloud architect)(?!\w)"
)
# Exam codes of other vendors: AWS SAA-C03, CompTIA 220-1101 / SY0-701 / N10-009,
# Cisco 200-301, Oracle 1Z0-071.
_OTHER_CODES = re.compile(
    r"\b([a-z]{3}-c0\d|[a-z]{2}0-\d{3}|n10-\d{3}|(200|220|300|350|400)-\d{3,4}|1z0-\d{2,3})\b"
)
_NON_CERT_EXAMS = re.compile(
    r"\b(driving (test|exam|lesson)s?|driver'?s? (test|exam)|road test|dmv|learner'?s permit|"
    r"permit test|driving theory|theory test|bar exam|"
    r"covid|pcr test|blood test|eye test|hearing test|drug test|pregnancy test|medical exam|"
    r"the bar|lsat|mcat|gmat|gre|act exam|toefl|ielts|gcse|a-levels?|ged|usmle|nclex|"
    r"ccat|duolingo|pte academic|cambridge english|english (proficiency|language) test|"
    r"final exams?|midterms?|uni exam|thesis|the sat|sat (exam|test|score)s?|"
    r"a levels?|university|college|high school|semester|homework|essay|masters degree|"
    r"a masters|bachelor'?s degree|phd|spelling (test|bee)|pop quiz|school (test|exam|quiz)|"
    r"(kid|kids|son|daughter|child|children)'?s? (test|exam|quiz|school))\b"
)
_REFUNDS = re.compile(
    r"\b(game|games|gaming|steam|playstation|psn|xbox|nintendo|netflix|spotify|app store|"
    r"play store|subscription|subscriptions|in-app|dlc|game pass|office 365 subscription|"
    r"microsoft 365 subscription|copilot pro|onedrive|skype|minecraft|azure credits?|"
    r"credits|billing|invoice|azure (bill|account|spend|usage|consumption|costs?|pricing)|"
    r"(costs?|spend|spending|bills?|billing|budgets?|usage) (in|on|for|of) azure|"
    r"cost management|monitor (my )?(costs?|spend|spending)|openai usage|api usage|chatgpt|"
    r"copilot (pro|subscription)|flights?|hotels?|airline|"
    r"amazon order|online order|parcel|package delivery|gym|memberships?|insurance|warranty|"
    r"domain names?|reserved instances?|savings plans?|"
    r"(microsoft|office) 365 (renewal|plan|family|personal|business|licen[cs]es?)|"
    r"m365 (renewal|plan|licen[cs]es?))\b"
)
# Personal documents (a passport to renew, a licence's validity): not the exam's ID rules,
# unless the member asks whether the document works for the exam.
_PERSONAL_DOCS = re.compile(
    r"\b(passports?|driving licen[cs]es?|driver'?s? licen[cs]es?|visas?|residence permits?|"
    r"birth certificates?|national id cards?|id cards?|green cards?|work permits?)\b"
)
_DOC_ADMIN = re.compile(
    r"\b(renew|renews|renewing|renewal|replace|replacement|apply for|application|lost|stolen|"
    r"last|lasts|valid|validity|valid for|good for|get a new|issue|issued|processing|expire|"
    r"expires|expiry)\b"
)
_DOC_FOR_EXAM = re.compile(
    r"\b(use|used|using|accept|accepted|accepts|bring|show|match|matches|name|as (my )?id|"
    r"identification|check|proctor|pearson|onvue|test cent(er|re))\b"
)
# "renewal" alone does not make a passport question about exams.
_DOC_EXAM = re.compile(
    r"\b(exam|exams|test|certification|certified|credential|proctor|proctored|pearson|vue|"
    r"onvue|microsoft|azure|check in|attempt)\b"
)
# Help with Microsoft's (or anyone's) products and devices rather than its exams.
_PRODUCT_SUPPORT = re.compile(
    r"\b(passwords?|windows (update|activation|10|11|laptop|pc|key)|outlook|ms teams|"
    r"teams (meetings?|calls?|chats?|app)|keeps? (crashing|dropping|freezing)|stock price|"
    r"share price|ceo of|should i buy|recommend (me )?an? (good )?(book|laptop|pc|phone)|"
    r"translate|write (me )?(an?|my) (essay|poem|story|email|song)|name for my|"
    r"blue screen|bsod|printer|wi-?fi|bluetooth|"
    r"microsoft surface|surface (pro|laptop|book|go)|(best|good|cheap|new) (laptop|pc|monitor|"
    r"phone|tablet|headset|keyboard|webcam)s?|laptops? for|(microsoft|pearson) store|"
    r"opening hours|product key|excel formula|vlookup|word document|powerpoint|xbox controller|"
    r"log ?in|sign-? ?in|locked out|lockout policy|mfa|2fa|authenticator|"
    r"internet explorer|ie11|edge browser|teams classic|classic teams|skype|windows (7|8|server)|"
    r"office (2013|2016|2019|2021)|exchange server|sharepoint server|sql server \d+|"
    r"\.net (framework|core|\d)|basic auth\w*|end of support|content safety)\b"
)
# Small talk that is a question in form: the meaning of life, the bot's feelings.
_CHIT_CHAT = re.compile(
    r"\b(meaning of life|what is love|are you (real|human|alive|sentient|happy|ok)|"
    r"are you an? (real )?(person|human|robot|ai)|"
    r"how old are you|what is your name|do you have feelings|do you dream|"
    r"tell me (a story|something (funny|interesting|cool|new))|sing me|what day is it|"
    r"what time is it|how is your day|how was your day|how are you doing|how is it going|"
    r"how are things)\b"
)

# The study group's own life: events, calls, the Discord server.
_COMMUNITY = re.compile(
    r"\b((server|discord|community|group) (event|events|meetup|call|calls|session|"
    r"sessions|invite|link|role|roles|emoji)|study (session|sessions|call|buddy|buddies)|"
    r"voice (channel|chat|call)|event (start|starts|time)|meetup|\w+ channel|"
    r"everyone working on|what are you all|(this|the) server)\b"
)
# Games, sport and leisure: their bans, cooldowns and retries are not exam retakes.
_LEISURE = re.compile(
    r"\b(valorant|fortnite|league of legends|minecraft|roblox|overwatch|apex legends|"
    r"call of duty|cod|csgo|cs2|dota|ranked|matchmaking|(account|chat|game|ranked) bans?|"
    r"banned from|ban (cooldown|timer|length)|elo|respawn|boss fight|speedrun|"
    r"(football|soccer|tennis|chess|golf) (match|game|club|tournament)|recipe|recipes)\b"
)
# Careers and CVs: worth asking the group, not the policy bot.
_CAREER = re.compile(
    r"\b((my|a|the) (resume|cv)|resume review|cv review|cover letter|job interviews?|"
    r"salary|salaries|pay rise|internships?|job offers?|hiring|recruiters?|"
    r"(get|find|land) a job|what jobs|which jobs|jobs? (can|could|will)|job (market|prospects|"
    r"roles?|titles?)|(architects?|engineers?|developers?|admins?|administrators?|consultants?|"
    r"analysts?) (earn|make)|jobs? (at|in)|work (at|for) microsoft|career (at|in)|promotion|"
    r"(ask|asking) (for|my boss for) a raise)\b"
)
_TECH_HOWTO = re.compile(
    r"\b(deploy|deploying|deployment|configure|configuring|vnet|vnets|virtual network|subnet|"
    r"sdk|python|c#|javascript|typescript|java|powershell|bicep|terraform|arm template|"
    r"kubectl|kubernetes|aks|docker|container|function app|app service|resource group|"
    r"storage account|blob|cosmos ?db|key vault|api key|endpoint|rest api|install|"
    r"pip install|npm|nuget|compile|error code|stack trace|bug|debug|vm|virtual machine|"
    r"load balancer|firewall rule|dns|ssl|certificate authority|tls|openai model|"
    r"fine-?tune|embedding|prompt flow|semantic kernel|langchain|sql query|query|"
    r"set ?up an?|setting up an?|set up (the|my) (index|indexer|resource|search|model)|indexer|"
    r"indexers|ai search|cognitive search|provision|provisioning|web app|webapp|"
    r"connection string|managed identity|rbac role|az cli|azure cli|foundry|"
    r"programming languages?|coding languages?|learn to code|bootcamp|"
    r"azure functions?|functions? app|pipelines?|devops|vms|translator|speech (service|sdk)|"
    r"text to speech|speech to text|document intelligence|form recognizer|computer vision|"
    r"custom vision|language service|app insights|application insights|log analytics|"
    r"sentinel|defender for|entra|active directory|intune|power bi|power automate|"
    r"logic apps?|event grid|event hubs?|service bus|api management|front door|autoscale|"
    r"auto-?scaling|scale (out|up|down)|quotas?|rate limits?|tokens? (limit|usage)|"
    r"free (trial|tier|account|credits?)|tokens?|gpt-?\d\w*|models? (deprecation|versions?))\b"
)
# Learning a technology in general, not preparing for an exam ("best way to learn azure").
_LEARNING = re.compile(
    r"\b(learn|learning|master|get into|get good at|teach myself) (azure|the cloud|cloud|ai|"
    r"machine learning|python|coding|programming|devops|data science|kubernetes|networking)\b|"
    r"\bfree (courses?|resources|training|tutorials?|labs?)\b|"
    r"\b((stay|staying|keep|get|getting) motivated|motivation|procrastinat\w*|burn ?out|"
    r"study (music|playlists?|habits))\b"
)
_CERTIFICATE = re.compile(r"\bcertificates?\b")
# Words that make a question about exams or certifications, overriding a technical or
# refund signal ("can I use python on the exam?" is about the exam).
_EXAM_CONTEXT = re.compile(
    r"\b(exam|exams|retake|certification|certified|credential|pearson|vue|certiport|"
    r"proctor|proctored|voucher|passing score|score report|attempt|attempts|renewal|"
    r"transcript|badge|onvue|proctoring|test center|test centre|check-in|check in)\b"
)
# Exam context without "renewal": a membership, subscription or TLS certificate is
# renewed too.
_STRICT_EXAM_CONTEXT = re.compile(
    r"\b(exam|exams|retake|certification|certified|credential|pearson|vue|certiport|"
    r"proctor|proctored|voucher|passing score|score report|onvue|"
    r"test center|test centre|assessment|assessments)\b"
)
_GREETING = re.compile(
    r"^(hi|hello|hey|yo|sup|gm|good (morning|evening|afternoon))( there| all| guys| everyone|"
    r" folks)?\b"
)
_SMALL_TALK = re.compile(
    r"^(hi|hello|hey|yo|sup|thanks|thank you|thx|good (morning|night|evening)|"
    r"how are you|who are you|what are you|are you a bot|tell me a joke|lol|ok|okay|"
    r"what is up|whats up|bye|gm|gn)\b"
)

# What may follow small talk without making it a question ("thanks bot", "ok cool").
_SMALL_TALK_TAIL = frozenset({"bot", "cool", "great", "nice", "again", "so", "much", "now",
                              "man", "mate", "buddy", "all", "guys", "everyone", "lot",
                              "best", "awesome", "amazing", "legend", "helpful", "star",
                              "hero", "genius", "rock", "goat", "today", "tonight", "doing",
                              "there"})

# First-person questions about the member's own timing go to the personal entry.
_FIRST_PERSON = re.compile(r"\b(i|me|my|mine|myself|i am|im)\b")
_PERSONAL_TIMING = re.compile(
    r"\b(when (exactly |precisely )?can i|when am i|when do i get to|when will i be able|"
    r"am i (eligible|allowed|able|ok|good|clear|free)|can i (retake|book|rebook|sit|take|"
    r"schedule|try|go|register|attempt)\b.*\b(yet|now|today|"
    r"tomorrow|tonight|this week|next week|again)|(is|when is) my (next|retake)|"
    r"my (next attempt|next retake|retake date|eligibility|waiting period|cooldown)|"
    r"i (failed|took|sat|attempted|did)\b.*\b(yesterday|today|last|ago|on|this|"
    r"this morning)|(failed|took|sat|attempted)\b.*\b(yesterday|today|ago|this morning|"
    r"last (night|week|month|\w+day)|on (the )?\d+(st|nd|rd|th)?|on \w+day)\b|"
    r"how long (until|till|before) i (can|am|will)|how long do i still|"
    r"\b(retake|take|sit|book|rebook|try|eligible|allowed|able)\b.*\b(yet|now)\?*$)"
)


@dataclass(frozen=True)
class Candidate:
    """An entry and its score in [0, 1]."""

    entry_id: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    """The outcome of :meth:`Matcher.match`."""

    entry_id: str | None  # None = abstain
    confidence: float  # [0, 1]: estimated probability that the best entry is right
    runners_up: tuple[Candidate, ...]  # next best after ``top``, best first, up to 3
    # The best candidate even when abstaining (None when nothing scored at all).
    top: Candidate | None = None
    # True when an explicit signal (other vendor, game refund …) ruled the question out.
    out_of_scope: bool = False
    reason: str | None = field(default=None, compare=False)

    @property
    def low_confidence(self) -> bool:
        return self.entry_id is None or self.confidence < LOW_CONFIDENCE_BELOW

    @property
    def suggestions(self) -> list[str]:
        """Entry ids worth offering as "Did you mean…": up to three, only when the
        match abstained or is unsure, and none for an out-of-scope question."""
        if self.out_of_scope or not self.low_confidence:
            return []
        pool = list(self.runners_up)
        if self.entry_id is None and self.top is not None:
            pool.insert(0, self.top)
        return [c.entry_id for c in pool if c.score >= SUGGEST_MIN_SCORE][:MAX_RUNNERS_UP]


def out_of_scope_reason(question: str) -> str | None:
    """Why a question is explicitly out of scope, or None."""
    lowered = question.lower().replace("’", "'")
    normalized = normalize(question)
    # The normaliser reads "certificate" as certification (members say both), but a
    # TLS or Key Vault certificate is not exam context: judge context without it.
    context = (
        normalize(_CERTIFICATE.sub(" ", lowered)) if _CERTIFICATE.search(lowered) else normalized
    )
    has_exam_context = bool(_EXAM_CONTEXT.search(context))
    has_ms_code = bool(exam_codes(normalized))
    mentions_microsoft = has_ms_code or bool(re.search(r"\b(microsoft|azure)\b", normalized))
    if _OTHER_VENDORS.search(lowered) and not has_ms_code:
        return "another vendor's exam"
    if _OTHER_CODES.search(lowered) and not has_ms_code:
        return "another vendor's exam code"
    if _NON_CERT_EXAMS.search(lowered) and not mentions_microsoft:
        return "not a certification exam"
    strict_context = bool(_STRICT_EXAM_CONTEXT.search(context))
    if _REFUNDS.search(lowered) and not strict_context:
        return "not an exam purchase"
    if _LEISURE.search(lowered) and not has_exam_context:
        return "games and leisure, not exam policy"
    if _COMMUNITY.search(lowered) and not has_exam_context:
        return "about the study group, not exam policy"
    if _CAREER.search(lowered) and not has_exam_context:
        return "a career question"
    if _LEARNING.search(lowered) and not has_exam_context and not has_ms_code:
        return "learning a technology, not exam policy"
    if _TECH_HOWTO.search(lowered) and not strict_context and not has_ms_code:
        return "a technical how-to"
    if _PRODUCT_SUPPORT.search(lowered) and not has_exam_context:
        return "product support, not exam policy"
    if (_PERSONAL_DOCS.search(lowered) and _DOC_ADMIN.search(lowered)
            and not _DOC_FOR_EXAM.search(lowered) and not _DOC_EXAM.search(normalized)):
        return "a personal document, not the exam's ID rules"
    if _CHIT_CHAT.search(normalized) and not has_exam_context:
        return "small talk"
    # "hey, what can you do?" is a question after a greeting, not small talk.
    rest = _GREETING.sub("", normalized, count=1).strip()
    found = _SMALL_TALK.match(rest)
    # "ok so unscored items on AI-103?" starts like small talk but goes on to a question.
    small = not rest or (found is not None and all(
        t in _SMALL_TALK_TAIL for t in content_tokens(rest[found.end():])))
    if small and not has_exam_context and len(normalized.split()) <= 6:
        return "small talk"
    return None


def is_personal_timing(normalized: str) -> bool:
    """A first-person question about the member's own next attempt."""
    return bool(_FIRST_PERSON.search(normalized)) and bool(_PERSONAL_TIMING.search(normalized))


def _sigmoid(x: float) -> float:
    if x < -30:
        return 0.0
    if x > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-x))


def calibrate(top: float, margin: float, information: float) -> float:
    """P(the best entry is right) from the match features; always in [0, 1]."""
    bias, w_top, w_margin, w_info = CALIBRATION
    return _sigmoid(bias + w_top * top + w_margin * margin + w_info * information)


@dataclass(frozen=True)
class _Signals:
    known_share: float  # IDF-weighted share of the question's words the KB knows
    information: float  # IDF mass of the known words, in units of the rarest word


@dataclass
class _Indexed:
    entry: FaqEntry
    texts: list[str]  # content strings of question, phrasings, member questions, keywords
    edited_texts: list[str]  # the same without member questions (the fuzzy pass reads these)
    keywords: list[str]  # normalised keyword phrases
    codes: frozenset[str]


class Matcher:
    """Question → FAQ entry, built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._items: list[_Indexed] = []
        self._specific_codes: list[frozenset[str]] = []
        self._about_codes: list[bool] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._autocomplete_texts: list[str] = []
        self._autocomplete_owner: list[int] = []
        self._autocomplete_primary: list[bool] = []
        self._vocabs: list[frozenset[str]] = []
        self._signals: list[re.Pattern[str] | None] = []
        self._build_speller(kb)
        for index, entry in enumerate(kb.entries.values()):
            edited = [normalize(s) for s in (entry.question, *entry.phrasings)]
            # Members' questions are read as a question is: their typos spelt onto the
            # editors' words, so a typo never becomes a word of its own.
            normalized = edited + [self._read(q)[0] for q in entry.examples]
            keywords = [normalize(k) for k in entry.keywords]
            texts = [" ".join(content_tokens(n)) for n in normalized + keywords]
            texts = [t for t in dict.fromkeys(texts) if t]
            edited_texts = [" ".join(content_tokens(n)) for n in edited + keywords]
            edited_texts = [t for t in dict.fromkeys(edited_texts) if t]
            codes = frozenset(entry.exams) | {
                c for n in (*normalized, *keywords) for c in exam_codes(n)
            }
            self._items.append(_Indexed(entry, texts, edited_texts, keywords, codes))
            self._signals.append(
                re.compile("|".join(f"(?:{s})" for s in entry.signals)) if entry.signals else None
            )
            specific, about_codes = self._entry_codes(normalized)
            self._specific_codes.append(specific)
            self._about_codes.append(about_codes)
            vocab = frozenset(t for text in texts for t in text.split())
            self._vocabs.append(vocab)
            for token in vocab:
                self._postings[token].append(index)
            # Autocomplete offers the editors' wording, not members' typos.
            for text in (edited[0], *keywords, *edited[1:]):
                self._autocomplete_texts.append(text)
                self._autocomplete_owner.append(index)
                self._autocomplete_primary.append(text is edited[0] or text in keywords)
        # Per entry, for the fuzzy pass (the editors' texts only: member questions teach
        # the word statistics, and the costliest step need not read them all too):
        # texts with their words sorted (token_sort_ratio is fuzz.ratio of token-sorted
        # strings, so sort once here), how many distinct words each text has, and which
        # of its texts hold each word.
        self._entry_sorted: list[tuple[str, ...]] = []
        self._entry_word_texts: list[dict[str, tuple[int, ...]]] = []
        self._text_sizes: list[tuple[int, ...]] = []
        # How many of all an entry's texts hold each word, for naive Bayes; None when
        # the entry has no member questions (then ``_entry_word_texts`` says it).
        self._word_text_counts: list[dict[str, int] | None] = []
        for item in self._items:
            edited = item.edited_texts
            self._entry_sorted.append(tuple(" ".join(sorted(t.split())) for t in edited))
            self._text_sizes.append(tuple(max(len(set(t.split())), 1) for t in edited))
            holders: dict[str, list[int]] = defaultdict(list)
            for offset, text in enumerate(edited):
                for word in dict.fromkeys(text.split()):
                    holders[sys.intern(word)].append(offset)
            self._entry_word_texts.append({w: tuple(o) for w, o in holders.items()})
            self._word_text_counts.append(
                None
                if len(item.texts) == len(edited)
                else dict(Counter(w for t in item.texts for w in set(t.split())))
            )
        # Keyword phrases → entries holding them, looked up by the question's n-grams.
        self._keyword_entries: dict[str, set[int]] = defaultdict(set)
        self._keyword_max_words = 1
        for index, item in enumerate(self._items):
            for keyword in item.keywords:
                if keyword:
                    self._keyword_entries[keyword].add(index)
                    self._keyword_max_words = max(self._keyword_max_words,
                                                  len(keyword.split()))
        if len(self._autocomplete_texts) > AUTOCOMPLETE_MAX_TEXTS:
            # Big knowledge bases: titles and keywords only, to stay fast while typing.
            keep = [i for i, p in enumerate(self._autocomplete_primary) if p]
            self._autocomplete_texts = [self._autocomplete_texts[i] for i in keep]
            self._autocomplete_owner = [self._autocomplete_owner[i] for i in keep]
        count = max(len(self._items), 1)
        self._idf: dict[str, float] = {
            token: math.log((count + 1) / (len(postings) + 0.5))
            for token, postings in self._postings.items()
        }
        self._max_idf = math.log((count + 1) / 0.5)
        # Per entry: how strongly each of its words stands for it (see TF_FLOOR), its
        # and the exam codes it is about.
        self._factors: list[dict[str, float]] = []
        for item in self._items:
            counts: dict[str, int] = defaultdict(int)
            for text in item.texts:
                for word in set(text.split()):
                    counts[word] += 1
            size = max(len(item.texts), 1)
            factors = {}
            for word, n in counts.items():
                share = n / size
                factors[word] = TF_FLOOR + (1 - TF_FLOOR) * min(
                    1.0, (1 + TF_K) * share / (share + TF_K))
            self._factors.append(factors)
        # Naive Bayes (see BAYES_WEIGHT): a word's count in an entry is how many of its
        # texts hold it (``_word_text_counts``, or ``_entry_word_texts`` for an entry
        # without member questions); the denominator is kept per entry.
        vocabulary = len(self._postings)
        self._bayes_denominators = [
            (
                sum(counts.values())
                if counts is not None
                else sum(len(texts) for texts in holders.values())
            )
            + BAYES_ALPHA * vocabulary
            for counts, holders in zip(self._word_text_counts, self._entry_word_texts, strict=True)
        ]
        # Adjacent word pairs of the entries' texts → the entries using them.
        pair_entries: dict[tuple[str, str], set[int]] = defaultdict(set)
        for index, item in enumerate(self._items):
            for text in item.texts:
                for pair in pairwise(text.split()):
                    if pair[0] != pair[1]:
                        pair_entries[pair].add(index)
        # Pair → (IDF over entries, the entries): small tuples, as most pairs belong to
        # one or two entries and a 10,000-entry base has millions of them.
        self._pairs: dict[tuple[str, str], tuple[float, tuple[int, ...]]] = {
            pair: (math.log((count + 1) / (len(owners) + 0.5)), tuple(sorted(owners)))
            for pair, owners in pair_entries.items()
        }

        # Codes some entry is specifically about: a question naming only those is not
        # for an entry about exams in general ("which exams retire" vs AI-102's date).
        self._owned_codes = frozenset().union(*self._specific_codes)
        # A code only a few entries are about ("what is AI-103") says as much as a rare
        # word: its information is the IDF of the entries specifically about it (the
        # code placeholder alone, found in most entries, says almost nothing).
        owners: dict[str, int] = defaultdict(int)
        for specific in self._specific_codes:
            for code in specific:
                owners[code] += 1
        self._code_idf = {code: math.log((count + 1) / (n + 0.5)) for code, n in owners.items()}
        self._vocab = sorted(self._postings)
        self._spell_cache: dict[str, str] = {}
        self._score_cache: dict[str, tuple[tuple[Candidate, ...], _Signals]] = {}
        self._ids = [item.entry.id for item in self._items]
        self._popular = [i for i in POPULAR_ENTRIES if i in kb.entries] + [
            i for i in self._ids if i not in POPULAR_ENTRIES
        ]

    # --- helpers ----------------------------------------------------------------
    def _build_speller(self, kb: KnowledgeBase) -> None:
        """The words typos are corrected onto: the editors' (questions, phrasings and
        keywords), never the members' own spellings."""
        word_counts: dict[str, int] = defaultdict(int)
        known: dict[str, float] = {}
        for entry in kb.entries.values():
            for source in (entry.question, *entry.phrasings, *entry.keywords):
                text = normalize(source)
                for word in text.split():
                    if word.isalpha():
                        word_counts[word] += 1
                known.update(dict.fromkeys(content_tokens(text), 0.0))
        # Until the index is built, ``_fix_word`` asks whether a stem is known here.
        self._idf = known
        # Unstemmed words of the knowledge base (and grammar words), for correcting typos
        # before stemming; more frequent words win ties.
        # Grammar words are known but never targets: "life" must not become "like".
        # Words the normaliser rewrites ("renew" → "renewal") are targets too, after the
        # knowledge base's own words; so are meaningful short words ("second", "after").
        for word in SYNONYM_SOURCES:
            word_counts.setdefault(word, 0)
        for word in GRAMMAR_WORDS:
            word_counts.pop(word, None)
        self._words = sorted(word_counts, key=lambda w: (-word_counts[w], w))
        self._word_set = frozenset(self._words) | FUNCTION_WORDS
        # Stems of the knowledge base's words ("cheat" of "cheating") are targets after
        # the words themselves; long grammar words ("needed", "there") are last-resort
        # targets, so a typo in one is not an unknown word.
        stems = {stem(w) for w in self._words if len(w) >= 6 and w.isalpha()}
        self._stem_words = sorted(s for s in stems - self._word_set if len(s) >= 4)
        self._grammar_targets = sorted(w for w in GRAMMAR_WORDS if len(w) >= 5)
        self._respell_cache: dict[str, tuple[str, int]] = {}

    def _read(self, question: str) -> tuple[str, int]:
        """A question as the matcher reads it: normalised, its typos spelt onto the
        knowledge base's words, and how many words that changed."""
        normalized = normalize(question)
        respelt, fixed = self._respell(normalized)
        if respelt != normalized:
            # Re-normalise so synonym rules see the corrected words ("pas mark").
            normalized = normalize(respelt)
        return normalized, fixed

    @staticmethod
    def _entry_codes(texts: list[str]) -> tuple[frozenset[str], bool]:
        """The exam codes an entry is about, and whether it is about exams by code at all.

        An entry is about exams by code when at least :data:`CODE_SPECIFIC_SHARE` of its
        question and phrasings name one ("is AI-102 retired", "is az-204 retired"); it
        is about the codes named that often (AI-102, for the first), not the ones a
        generic entry mentions in passing. ``texts``: the normalised question and
        phrasings."""
        counts: dict[str, int] = defaultdict(int)
        with_code = 0
        for text in texts:
            found = set(exam_codes(text))
            with_code += bool(found)
            for code in found:
                counts[code] += 1
        cut = CODE_SPECIFIC_SHARE * len(texts)
        return frozenset(c for c, n in counts.items() if n >= cut), with_code >= cut

    @property
    def knowledge(self) -> KnowledgeBase:
        return self._kb

    def _correct(self, token: str) -> str:
        cached = self._spell_cache.get(token)
        if cached is None:
            cached = self._spell(token)
            if len(self._spell_cache) < 20_000:
                self._spell_cache[token] = cached
        return cached

    def _spell(self, token: str) -> str:
        """Map an unknown token onto the vocabulary when a close spelling exists."""
        if token in self._idf or len(token) < 5 or not token.isalpha():
            return token
        found = process.extractOne(token, self._vocab, scorer=fuzz.ratio, score_cutoff=84)
        if found is None or found[0][0] != token[0]:
            return token
        return str(found[0])

    def _fix_word(self, word: str) -> str:
        """The knowledge-base word closest to an unknown word (one edit, or two for long
        words, a swap of neighbours counting as one), or the word itself."""
        if len(word) < 4 or word in self._word_set or not word.isalpha():
            return word
        if stem(word) in self._idf:  # another form of a known word: the stemmer copes
            return word
        limit = 1 if len(word) < 11 else 2
        found = process.extract(word, self._words, scorer=OSA.distance, score_cutoff=limit,
                                limit=8)
        if len(word) == 4:
            # Four letters: one edit keeping the first letter, onto a longer word only
            # ("agan" → "again", "mney" → "money"; "java" stays).
            found = [f for f in found if f[0][0] == word[0] and len(f[0]) > 4]
        elif not found:
            found = process.extract(word, self._stem_words, scorer=OSA.distance,
                                    score_cutoff=limit, limit=8)
            if not found and len(word) >= 6:
                found = process.extract(word, self._grammar_targets, scorer=OSA.distance,
                                        score_cutoff=1, limit=8)
        if not found:
            return word
        best = min(d for _, d, _ in found)
        # Same first letter first, then the most frequent word (the list is sorted so).
        tied = [(w, i) for w, d, i in found if d == best]
        tied.sort(key=lambda wi: (wi[0][0] != word[0], wi[1]))
        return str(tied[0][0])

    def _respell(self, normalized: str) -> tuple[str, int]:
        """The normalised question with typos spelt onto the knowledge base's words, and
        how many content words changed."""
        cached = self._respell_cache.get(normalized)
        if cached is not None:
            return cached
        words = normalized.split()
        fixed = [self._fix_word(w) for w in words]
        changed = sum(1 for a, b in zip(words, fixed, strict=True)
                      if a != b and b not in FUNCTION_WORDS)
        result = (" ".join(fixed), changed) if fixed != words else (normalized, 0)
        if len(self._respell_cache) < 20_000:
            self._respell_cache[normalized] = result
        return result

    def _query_tokens(self, normalized: str) -> tuple[list[str], int]:
        """Content tokens spelt onto the vocabulary, and how many needed correcting."""
        raw = list(dict.fromkeys(content_tokens(normalized)))
        tokens = [self._correct(t) for t in raw]
        return tokens, sum(1 for a, b in zip(raw, tokens, strict=True) if a != b)

    def _coverage(self, tokens: list[str]) -> dict[int, float]:
        """IDF-weighted share of the question's words each entry knows, for the
        :data:`SHORTLIST` entries that know the most.

        Words found in a large share of the entries are left out of the inverted-index
        pass (they would touch every entry and barely change the order) and added back
        exactly for the shortlisted entries."""
        total = sum(self._idf.get(t, self._max_idf) for t in tokens)
        if total <= 0:
            return {}
        common_df = max(200, len(self._items) // 8)
        scores: dict[int, float] = defaultdict(float)
        common: list[str] = []
        for token in tokens:
            weight = self._idf.get(token)
            if weight is None:
                continue
            postings = self._postings[token]
            if len(postings) > common_df:
                common.append(token)
                continue
            for index in postings:
                scores[index] += weight * self._factors[index][token]
        if not scores and common:
            # Only common words: every entry that knows the first of them competes.
            for index in self._postings[common[0]]:
                scores[index] = 0.0
        shortlist = heapq.nlargest(SHORTLIST, scores, key=scores.__getitem__)
        result = {}
        for index in shortlist:
            vocab = self._vocabs[index]
            factors = self._factors[index]
            extra = sum(self._idf[t] * factors[t] for t in common if t in vocab)
            result[index] = (scores[index] + extra) / total
        return result

    def _bayes(self, known: list[str], shortlist: list[int]) -> dict[int, float]:
        """Naive Bayes posterior of each shortlisted entry given the known words."""
        if not known:
            return dict.fromkeys(shortlist, 0.0)
        logs = {}
        for index in shortlist:
            denominator = self._bayes_denominators[index]
            counts = self._word_text_counts[index]
            if counts is None:
                holders = self._entry_word_texts[index]
                logs[index] = sum(
                    math.log((len(holders.get(word, ())) + BAYES_ALPHA) / denominator)
                    for word in known
                )
            else:
                logs[index] = sum(
                    math.log((counts.get(word, 0) + BAYES_ALPHA) / denominator) for word in known
                )
        top = max(logs.values())
        weights = {index: math.exp(value - top) for index, value in logs.items()}
        total = sum(weights.values())
        return {index: weight / total for index, weight in weights.items()}

    def _keyword_hits(self, normalized: str) -> set[int]:
        """Entries with a keyword phrase that appears word for word in the question."""
        words = normalized.split()
        found: set[int] = set()
        table = self._keyword_entries
        for start in range(len(words)):
            for end in range(start + 1, min(start + self._keyword_max_words, len(words)) + 1):
                entries = table.get(" ".join(words[start:end]))
                if entries:
                    found |= entries
        return found

    def _fuzzy(
        self, query: str, query_set: set[str], shortlist: list[int], multi: bool
    ) -> dict[int, float]:
        """Best fuzzy similarity of the question to each shortlisted entry's texts:
        the mean of token_sort_ratio and a token_set_ratio discounted by how much of the
        text the question covers (token_set_ratio alone gives 100 to any subset, so
        "exam" would match everything).

        token_sort_ratio runs as fuzz.ratio on texts sorted at construction; the
        token_set_ratio pass only sees the SET_PASS_TEXTS texts sharing the largest part
        of their words with the question (for a text sharing none it equals the
        token_sort_ratio of the de-duplicated words, and the coverage discount halves
        it)."""
        sorted_query = " ".join(sorted(query.split()))
        best_sort: dict[int, float] = {}
        for index in shortlist:
            found = process.extractOne(sorted_query, self._entry_sorted[index], scorer=fuzz.ratio)
            best_sort[index] = found[1] if found is not None else 0.0
        if not multi:
            return {owner: score / 100 for owner, score in best_sort.items()}
        # No shared word: token_set_ratio is the token_sort_ratio, halved by the discount.
        best_set = {owner: 0.5 * score for owner, score in best_sort.items() if score >= 40}
        # Texts sharing more of their words with the question can score higher, so try
        # them first and stop once no remaining text could beat the entry's best.
        for index in shortlist:
            holders = self._entry_word_texts[index]
            hits = Counter(chain.from_iterable(holders.get(word, ()) for word in query_set))
            if not hits:
                continue
            texts = self._items[index].edited_texts
            sizes = self._text_sizes[index]
            by_share: dict[float, list[str]] = defaultdict(list)
            # The texts sharing the largest part of their words with the question; the
            # discount leaves the others little chance, and each costs a comparison.
            ranked = sorted(hits, key=lambda o: -hits[o] / sizes[o])[:SET_PASS_TEXTS]
            for offset in ranked:
                by_share[hits[offset] / sizes[offset]].append(texts[offset])
            best = best_set.get(index, 0.0)
            for share in sorted(by_share, reverse=True):
                factor = 0.5 + 0.5 * share
                if 100 * factor <= best:
                    break
                hit = process.extractOne(query, by_share[share], scorer=fuzz.token_set_ratio,
                                         score_cutoff=max(40.0, best / factor))
                if hit is not None and hit[1] * factor > best:
                    best = hit[1] * factor
            if best > 0:
                best_set[index] = best
        return {
            owner: (0.5 * score + 0.5 * best_set.get(owner, 0.0)) / 100
            for owner, score in best_sort.items()
        }

    def _score(self, question: str) -> tuple[list[Candidate], _Signals]:
        """Every plausible entry with its raw (unclamped) score, best first, and the
        question-level signals the calibration uses. Scoring is pure, so recent
        questions are answered from a small cache (members ask the same things)."""
        cached = self._score_cache.get(question)
        if cached is None:
            cached = self._score_uncached(question)
            if len(self._score_cache) >= SCORE_CACHE_SIZE:
                del self._score_cache[next(iter(self._score_cache))]  # oldest first
            self._score_cache[question] = cached
        candidates, signals = cached
        return list(candidates), signals

    def _score_uncached(self, question: str) -> tuple[tuple[Candidate, ...], _Signals]:
        normalized, fixed = self._read(question)
        tokens, corrected = self._query_tokens(normalized)
        corrected += fixed
        if not tokens:
            return (), _Signals(0.0, 0.0)
        # A number the knowledge base has never seen ("got 680", "on the 10th", "at 9am",
        # "5x") is the member's own figure or date, not a sign of another topic: it does
        # not count as unknown.
        total = sum(self._idf.get(t, 0.0 if t[0].isdigit() else self._max_idf) for t in tokens)
        known = sum(self._idf[t] for t in tokens if t in self._idf)
        codes = set(exam_codes(normalized))
        if codes and CODE_PLACEHOLDER in self._idf:
            code_idf = max((self._code_idf.get(c, 0.0) for c in codes), default=0.0)
            known += max(0.0, code_idf - self._idf[CODE_PLACEHOLDER])
        # A word that had to be re-spelt is only half trusted.
        doubt = 1.0 - 0.5 * corrected / len(tokens)
        signals = _Signals(
            known_share=doubt * known / total if total > 0 else 0.0,
            information=min(known / self._max_idf, 3.0),
        )
        coverage = self._coverage(tokens)
        if not coverage:
            return (), signals
        shortlist = sorted(coverage, key=lambda i: (-coverage[i], i))
        query = " ".join(tokens)
        multi = len(tokens) > 1
        personal = is_personal_timing(normalized)
        first_person = bool(_FIRST_PERSON.search(normalized))
        fuzzy_by_entry = self._fuzzy(query, set(tokens), shortlist, multi)
        keyword_hits = self._keyword_hits(normalized)
        query_pairs = [self._pairs[p] for p in pairwise(tokens) if p in self._pairs]
        pair_mass = sum(idf for idf, _ in query_pairs)
        bayes = self._bayes([t for t in tokens if t in self._idf], shortlist)
        scored: list[Candidate] = []
        for index in shortlist:
            item = self._items[index]
            fuzzy = fuzzy_by_entry.get(index, 0.0)
            score = FUZZY_WEIGHT * fuzzy + (1 - FUZZY_WEIGHT) * coverage[index]
            if index in keyword_hits:
                score += KEYWORD_BONUS
            score += BAYES_WEIGHT * bayes[index]
            signal = self._signals[index]
            if signal is not None and signal.search(normalized):
                score += SIGNAL_BONUS
            if pair_mass:
                shared = sum(idf for idf, owners in query_pairs if index in owners)
                score += PAIR_WEIGHT * shared / max(pair_mass, self._max_idf)
            if codes:
                specific = self._specific_codes[index]
                named = codes & item.codes  # codes the entry declares or mentions
                if codes & specific:
                    score += CODE_SPECIFIC_BONUS
                elif specific and not named:
                    score -= CODE_MISMATCH  # AI-102's retirement, asked about AZ-500
                elif self._about_codes[index] and codes <= self._owned_codes and not named:
                    score -= CODE_MISMATCH  # other exams' retirements, asked about AI-102
                elif named:
                    score += CODE_BONUS
            if item.entry.personal:
                if personal:
                    score += PERSONAL_BONUS
                elif not first_person:
                    score -= IMPERSONAL_PENALTY
            elif personal:
                score -= PERSONAL_OTHER_PENALTY
            scored.append(Candidate(item.entry.id, score))
        scored.sort(key=lambda c: (-c.score, c.entry_id))
        return tuple(scored), signals

    # --- public API ------------------------------------------------------------
    def features(self, question: str) -> tuple[list[Candidate], tuple[float, float, float]]:
        """Raw candidates and the (top, margin, information) features of a question that
        is not explicitly out of scope; used by :meth:`match` and the calibration fit."""
        scored, signals = self._score(question)
        if not scored:
            return [], (0.0, 0.0, 0.0)
        top = scored[0].score
        runner = scored[1].score if len(scored) > 1 else 0.0
        # Questions made mostly of words the knowledge base has never seen are about
        # something else, however well the remaining words match.
        factor = min(1.0, signals.known_share / KNOWN_FULL)
        return scored, (top * factor, (top - runner) * factor, signals.information)

    def match(self, question: str) -> MatchResult:
        reason = out_of_scope_reason(question)
        if reason is not None:
            return MatchResult(None, 0.0, (), None, out_of_scope=True, reason=reason)
        scored, features = self.features(question)
        if not scored:
            return MatchResult(None, 0.0, (), None, out_of_scope=True, reason="no known words")
        confidence = calibrate(*features)
        if features[2] < MIN_INFORMATION:
            # "exam" alone: every entry is about the exam; ask, don't guess.
            confidence = min(confidence, ABSTAIN_BELOW / 2)
        clamped = [Candidate(c.entry_id, min(max(c.score, 0.0), 1.0)) for c in scored[:4]]
        top, runners_up = clamped[0], tuple(clamped[1 : 1 + MAX_RUNNERS_UP])
        if features[0] < ANSWER_MIN_SCORE:
            # Too weak to even suggest: whatever the calibration says, do not answer.
            confidence = min(confidence, ABSTAIN_BELOW / 2)
        if confidence < ABSTAIN_BELOW:
            nothing = features[0] < SUGGEST_MIN_SCORE
            return MatchResult(
                None, confidence, runners_up, top, out_of_scope=nothing, reason="unsure"
            )
        return MatchResult(top.entry_id, confidence, runners_up, top)

    def autocomplete(self, partial: str, limit: int = 25) -> list[Candidate]:
        """Entries to offer while a member types; the most common ones for an empty box."""
        limit = max(0, min(limit, 25))
        text = normalize(partial)
        if not text:
            n = len(self._popular)
            return [
                Candidate(entry_id, round(1.0 - i / max(n, 1), 4))
                for i, entry_id in enumerate(self._popular[:limit])
            ]
        found = process.extract(
            text, self._autocomplete_texts, scorer=fuzz.partial_ratio, limit=limit * 8,
            score_cutoff=60,
        )
        words = text.split()
        best: dict[str, float] = {}
        for candidate_text, score, position in found:
            # Reward texts holding every typed word (the last one as a prefix).
            text_words = candidate_text.split()
            hits = sum(1 for w in words if any(t.startswith(w) for t in text_words))
            combined = 0.6 * score / 100 + 0.4 * hits / len(words)
            entry_id = self._ids[self._autocomplete_owner[position]]
            best[entry_id] = max(best.get(entry_id, 0.0), combined)
        if len(text) >= 8 and out_of_scope_reason(partial) is None:
            scored, _ = self._score(partial)
            scored = [Candidate(c.entry_id, min(max(c.score, 0.0), 1.0)) for c in scored]
            for candidate in scored[:limit]:
                best[candidate.entry_id] = max(
                    best.get(candidate.entry_id, 0.0) * 0.5 + candidate.score * 0.5,
                    candidate.score,
                )
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return [Candidate(entry_id, round(score, 4)) for entry_id, score in ranked[:limit]]
