"""Turn a member's question into a canonical string the matcher can compare.

Pure functions, no state: case, unicode and punctuation are folded, exam codes are
written one way (``ai102`` / ``AI 102`` / ``ai-102`` → ``AI-102``), chat abbreviations
are expanded and synonyms collapse onto one word (``resit`` → ``retake``), so the
fuzzy scorers compare meaning rather than spelling.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from functools import lru_cache
from typing import Any

from knowledge.codes import fold_code_text, try_normalize_exam_code

# Prefixes of Microsoft exam codes. Only these become codes, so "is 700 a pass" never
# turns into an "IS-700" exam.
MICROSOFT_CODE_PREFIXES = frozenset(
    {"ab", "ai", "az", "da", "dp", "gh", "ma", "mb", "md", "mo", "ms", "pl", "sc"}
)
_CODE_RE = re.compile(r"\b([a-z]{2,3})[\s\-_]?(\d{3})\b")
CODE_TOKEN_RE = re.compile(r"^[A-Z]{2,3}-\d{3}$")

# Placeholder the fuzzy scorers see instead of a specific code, so a phrasing written
# for AI-102 also matches the same question about AZ-104.
CODE_PLACEHOLDER = "examcode"

_QUOTES = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"'})

# Whole-phrase rewrites, applied in order on lower-case text padded with spaces.
# Contractions and chat shorthand first, then synonyms onto one canonical word.
_PHRASES: tuple[tuple[str, str], ...] = (
    # contractions and shorthand
    (r"\bcan ?'?t\b", "can not"),
    (r"\bcannot\b", "can not"),
    (r"\bwon ?'?t\b", "will not"),
    (r"\b(do|does|did|is|are|was|were|have|has|had|would|should|could) ?n'?t\b", r"\1 not"),
    (r"\bi ?'?m\b", "i am"),
    (r"\bi ?'?ve\b", "i have"),
    (r"\bi ?'?ll\b", "i will"),
    (r"\bi ?'d\b", "i would"),
    (r"\b(what|where|when|how|who|it|that|there)'s\b", r"\1 is"),
    (r"\b(what|how|where|when)s\b", r"\1 is"),
    (r"\b(you|we|they)'re\b", r"\1 are"),
    (r"\b(you|we|they)'ve\b", r"\1 have"),
    (r"\b(u)\b", "you"),
    (r"\b(ur|yr)\b", "your"),
    (r"\br\b", "are"),
    (r"\b(pls|plz|plis)\b", "please"),
    (r"\b(thx|thanx|ty|tks)\b", "thanks"),
    (r"\b(bc|cuz|coz|cause)\b", "because"),
    (r"\bb4\b", "before"),
    (r"\bw/o\b", "without"),
    (r"\bw/", "with "),
    (r"\bwanna\b", "want to"),
    (r"\bgonna\b", "going to"),
    (r"\bgotta\b", "got to"),
    (r"\b(wat|wut|wht)\b", "what"),
    (r"\bhw\b", "how"),
    (r"\b(abt|bout)\b", "about"),
    (r"\b(hrs|hr)\b", "hours"),
    # "min score" is a minimum, "90 min" a duration (lookaheads keep these out of the
    # one-word swaps, which run first).
    (r"\bmin\b(?= (?:pass|passing|score|scores|mark|marks|grade|points?)\b)", "minimum"),
    (r"\bmin\b(?! (?:pass|passing|score|scores|mark|marks|grade|points?)\b)", "minutes"),
    (r"\bmins\b", "minutes"),
    (r"\b(yrs|yr)\b", "years"),
    (r"\b(tmrw|tmr|tomorow|tommorow|tommorrow)\b", "tomorrow"),
    (r"\b(yday|yesterdy)\b", "yesterday"),
    (r"\b(ms|msft)\b(?! ?\d)", "microsoft"),
    (r"\bmicro soft\b", "microsoft"),
    (r"\b(exm|examn|eaxm|exma)\b", "exam"),
    (r"\b(lol|lmao|lmfao|bruh|idk|tbh|btw|ngl)\b", ""),
    # chat filler around the question: "quick question", "thanks in advance", "pls help"
    (r"\b(thanks|thank you|tia)( so much)? in advance\b", "thanks"),
    (r"\btia\b", "thanks"),
    (r"\b(quick|random|dumb|stupid|silly|noob|newbie|small) (question|q|qn|query)\b", ""),
    (r"\b(newbie|noob|beginner|new) here\b", ""),
    (r"\basking for a friend\b", ""),
    (r"(?<=\w) (please help( me)?( out)?|help( me)? please|any help( is)?( much)? appreciated|"
     r"help (is )?appreciated)\s*$", ""),
    (r"^\s*help (?=\w+ \w+)", ""),
    # "hey bot, …" addresses the bot; the rest is the question
    (r"^(hey|hi|hello|yo|oi|ok|okay|dear)? ?(there )?(exam ?)?bot\b(?= \w)", ""),
    (r"\b(hey|hi|hello|yo|oi|dear) (there )?(exam ?)?bot\b(?= \w)", ""),
    # "sorry if this was asked before, but …"
    (r"\b(sorry|apologies|apologie)( in advance)?( if| in case)? (this|it|that) (was|has been|"
     r"is|has|might have been|may have been|got)( already)?( been)? (asked|answered|covered)"
     r"( before| already| a lot| here)?( but)?\b", ""),
    (r"\b(does|do) (anyone|anybody|someone|somebody) (know|here know)( if| whether)?\b", ""),
    # questions about the bot itself, which are all grammar words otherwise
    (r"\b(what can you do|what do you do|what are you for|what are you able to do|"
     r"how do you work|what can you help with|what can you help me with)\b",
     "what can the bot do"),
    (r"\bclosed ?-? ?book\b", "open book"),
    # ordinals written as digits
    (r"\b1st\b", "first"),
    (r"\b2nd\b", "second"),
    (r"\b3rd\b", "third"),
    (r"\b4th\b", "fourth"),
    (r"\b5th\b", "fifth"),
    (r"\b6th\b", "sixth"),
    (r"\b7th\b", "seventh"),
    (r"\b(mcq|mcqs)\b", "multiple choice"),
    (r"\b(qs|q's|qns|qtns|ques|questons|quesitons|questins)\b", "questions"),
    # percentages written every way, and "how much of" (a share, not a price)
    (r"(\d) ?%", r"\1 percent"),
    (r"%", " percent "),
    (r"\b(per cent|pct|percentage|percentages|percents)\b", "percent"),
    (r"\bhow much of\b", "what percent of"),
    (r"\b(till|til|untill)\b", "until"),
    # "how much time" is a duration; "how much is / to / for" is a price
    (r"\bhow much time\b", "how long"),
    (r"\bhow much (is|are|was|to|for|would|will)\b", r"how much cost \1"),
    (r"\b(prep|prepping|prepped|preparation|preparations|preparing|prepared|prepares)\b",
     "prepare"),
    (r"\btime ?zones?\b", "timezone"),
    # any language the exam might be offered in (English stays: it is what extra time is
    # about), and any currency a price is quoted in
    (r"\b(arabic|italian|indonesian|portuguese|spanish|german|french|japanese|chinese|"
     r"mandarin|korean|russian|turkish|polish|dutch|hindi|vietnamese|thai|hebrew|swedish|"
     r"norwegian|danish|finnish|greek|czech|hungarian|romanian|ukrainian|malay|tagalog|"
     r"bengali|urdu|tamil|persian|farsi)\b", "language"),
    (r"\b(usd|dollars?|euros?|eur|gbp|pounds|quid|inr|rupees?|yen|jpy|naira|reais|cad|aud|"
     r"pesos?|rand|zar|lira|yuan|rmb)\b", "currency"),
    (r"\b(rename|renamed|renames|renaming|rebrand|rebranded|rebranding|renumber|renumbers|"
     r"renumbering|renumbered)\b", "renumbered"),
    (r"\b(recertify|recertifying|recertified|recertification|recertifications|recert)\b",
     "renewal"),
    # countries: "is it cheaper in india" asks about the price where the member lives
    (r"\b(in|outside|outside of) (india|pakistan|nigeria|kenya|egypt|south africa|brazil|"
     r"mexico|argentina|colombia|chile|peru|canada|the us|the usa|america|the uk|britain|"
     r"england|ireland|"
     r"germany|france|spain|italy|portugal|poland|netherlands|turkey|russia|ukraine|"
     r"japan|china|korea|vietnam|thailand|malaysia|singapore|indonesia|philippines|"
     r"australia|new zealand|saudi arabia|uae|dubai|bangladesh|sri lanka|nepal|"
     r"my country|my region|the united states|the united kingdom|europe|africa|asia|"
    r"latin america)\b", "in country"),
    # general availability: the end of an exam's beta
    (r"\b(ga|general availability|generally available|out of beta)\b", "generally available"),
    (r"\b(licence|licences|licenses)\b", "license"),
    (r"\bdrivers?'?s?\b", "driving"),
    (r"\b(centre|centres|centers)\b", "center"),
    # "questions I got wrong" (my mistakes) is not "the question was wrong" (a faulty item)
    (r"\b(got|get|getting|had|answered)( \w+)? (wrong|incorrect)\b", r"\1\2 missed"),
    (r"\b(was|is|were|are|seemed|seems|looked|looks)( straight up| just| clearly| totally|"
     r" plain| flat out| simply)? (wrong|incorrect)\b", r"\1 faulty"),
    # synonyms: retakes
    (r"\b(take|sit|write|do|try|attempt|book|schedule) (it|the exam|the test|this|that|them|"
     r"the cert exam|an exam|exam|test) (again|a second time|another time|over)\b",
     r"retake \2"),
    (r"\b(take|sit|write|do|try) (it|this|that) again\b", "retake it"),
    (r"\bsecond try\b", "second attempt"),
    (r"\bnext try\b", "next attempt"),
    (r"\bre ?-? ?(take|takes|taking|took|taken|sit|sits|sitting|sat|test|tests|testing|"
     r"tested|write|writes|writing|wrote|written|do|doing|did|done|attempt|attempts|"
     r"attempting|exam|exams)\b", "retake"),
    (r"\b(resit|resits|resitting|resat|retest|retests|retesting|retested|rewrite|rewrites|"
     r"rewriting|rewrote|redo|redoing|redid|retakes|retaking|retook|retaken|reattempt|"
     r"reattempts|reattempting|reexam|reexamination)\b", "retake"),
    # synonyms: scoring
    (r"\b(pass ?mark|passmark|pass mark|cut ?-? ?off score|cut ?score|cutscore|"
     r"cut ?-? ?off mark|passing grade|passing mark|pass score|pass threshold|passing "
     r"threshold|pass line|minimum passing score|minimum pass score|score to pass|"
     r"score needed to pass|score required to pass|marks to pass|points to pass)\b",
     "passing score"),
    # synonyms: waiting periods
    (r"\b(cool ?-? ?down|cooldowns|cooling ?-? ?off period|cooling period|cool ?-? ?off|"
     r"waiting time|wait time|waiting period|wait period|lockout period|lockout|lock ?-? ?out)"
     r"\b", "waiting period"),
    # synonyms: certification
    (r"\b(cert|certs|certificate|certificates|certifications|certificaton|certifcation|"
     r"certication|certificat)\b", "certification"),
    (r"\b(cred|creds|credentials)\b", "credential"),
    # synonyms: failing and passing
    (r"\b(flunk|flunked|flunking|bombed|bomb|tanked|tank)\b", "failed"),
    (r"\b(re ?-? ?schedule|re ?-? ?scheduling|re ?-? ?scheduled|postpone|postponed|"
     r"postponing|push back|move) (my|the|an|this) (exam|test|appointment|booking|slot)\b",
     r"reschedule \2 \3"),
    (r"\b(re ?- ?schedule|re ?- ?scheduling|re ?- ?scheduled)\b", "reschedule"),
    (r"\b(vouchers)\b", "voucher"),
    (r"\b(renew|renews|renewing|renewed|renewals)\b", "renewal"),
    # Tense matters here: "my cert expired" (already lapsed) is not "when does it expire".
    (r"\b(expired|lapsed|has run out|have run out|ran out)\b", "expired"),
    (r"\b(run out|runs out)\b", "expiry"),
    (r"\b(expire|expires|expiring|expiration|expiry|expiries)\b", "expiry"),
    (r"\b(retire|retires|retired|retiring|retirements|sunset|sunsetting|sunsets|"
     r"discontinued|discontinue|being discontinued|phased out|phase out|deprecated|"
     r"end of life|eol|going away|go away|goes away|being removed|removed|no longer available|"
     r"shutting down|shut down|ending|being retired|gone|been pulled|pulled|dead)\b", "retirement"),
    (r"\b(price|priced|pricing|fee|fees|costs|costing|charge|charged|pay)\b", "cost"),
    (r"\b(how long|how many days|how many hours|how many weeks|how soon|how quickly|"
     r"how fast)\b", "how long"),
    (r"\b(time limit|time limits|seat time|exam length|length of the exam)\b", "duration"),
    (r"\b(money back|refunded|refunds|reimburse|reimbursed|reimbursement)\b", "refund"),
    (r"\b(brain ?dumps?|dump sites?|exam dumps?|dumps)\b", "dumps"),
    (r"\b(mark|marks|grade|grades|points|pts)\b", "score"),
    # a member quoting their own result: "got 680", "scored 712"
    (r"\b(got|get|scored|with|only|just) (a |an )?([1-9]\d\d|1000)\b(?! ?(score|minutes|hours|"
     r"days|questions|percent|usd|dollars|euros|people|members))", r"\1 \3 score"),
    (r"\b(a|another|next|second|third|fourth|fifth|first|last|one more) (go|shot|try|chance)\b",
     r"\1 attempt"),
    (r"\b(tries|goes|shots|chances)\b", "attempts"),
    (r"\b(expensive|pricey|cheap|cheaper|cheapest|afford)\b", "cost"),
    (r"\b(more|extra|additional) (\d+ )?(minutes|time)\b", "extra time"),
    (r"\bstill (around|offered|bookable|a thing|on offer|open|live)\b", "still available"),
    (r"\b(push|pushed|pushing|shift|shifted|bump|bumped) (my|the|an|this) (exam|test|"
     r"appointment|booking|slot)( back)?\b", r"reschedule \2 \3"),
    (r"\b(right away|straight away|straight after|instantly|instant|right after|"
     r"immediately|same day)\b", "immediately"),
    (r"\b(step away|stepping away|leave my desk|leave the desk|leave the room|toilet|"
     r"restroom|bathroom|loo|pee)\b", "break"),
    (r"\b(revise|revising|revised|revision|cram|cramming|crammed|studying|studied|"
     r"studies)\b", "study"),
    (r"\b(tests)\b", "test"),
    (r"\b(exams|examination|examinations)\b", "exam"),
)
_SIMPLE_RULE_RE = re.compile(r"^\\b\(?([a-z0-9]+(?:\|[a-z0-9]+)*)\)?\\b$")


_Rule = tuple[re.Pattern[str], str, re.Pattern[str] | None]


def _leading_literals(items: Any) -> set[str] | None:
    """Every literal text a match of the parsed pattern ``items`` must start with, or
    None when that cannot be told (a class, a wildcard, an optional first part)."""
    run: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "AT" and not run:
            continue  # \b, ^: zero-width
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        if run:
            break
        if name == "SUBPATTERN":
            return _leading_literals(arg[-1])
        if name == "BRANCH":
            found: set[str] = set()
            for branch in arg[1]:
                literals = _leading_literals(branch)
                if literals is None:
                    return None
                found |= literals
            return found
        if name in ("MAX_REPEAT", "MIN_REPEAT") and arg[0] >= 1:
            return _leading_literals(arg[2])
        return None
    return {"".join(run)} if run else None


def _gate(pattern: str) -> re.Pattern[str] | None:
    """A search for the substrings one of which the text must contain for ``pattern``
    to match (None when there is no such cheap test). Checking it first skips most
    rules."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import sre_parse  # deprecated alias of re._parser; gates are only a speed-up
        literals = _leading_literals(sre_parse.parse(pattern))
    except Exception:  # no parser, or an unparseable pattern: no gate, the rule always runs
        return None
    if not literals or any(not literal for literal in literals):
        return None
    return re.compile("|".join(re.escape(literal) for literal in sorted(literals)))


def _split_rules() -> tuple[dict[str, str], tuple[_Rule, ...]]:
    """Rules that only swap one word for another become a dictionary (one lookup per
    word); the rest stay regular expressions, each with a cheap substring gate. Word
    swaps run first."""
    words: dict[str, str] = {}
    patterns: list[_Rule] = []
    for pattern, replacement in _PHRASES:
        simple = _SIMPLE_RULE_RE.match(pattern)
        if simple and "\\" not in replacement:
            for word in simple.group(1).split("|"):
                words.setdefault(word, replacement)
        else:
            patterns.append((re.compile(pattern), replacement, _gate(pattern)))
    return words, tuple(patterns)


_WORD_MAP, _COMPILED_PHRASES = _split_rules()

_STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at for from by with about as into onto than then so
    is are was were be been being am do does did doing done have has had having will would
    shall should can could may might must
    i me my mine myself we us our ours you your yours he him his she her it its they them
    their this that these those there here what which who whom whose why
    please thanks thank hi hello hey just really actually also any some get got
    not no yes very too quite still even ever one ones thing things stuff like know tell
    need needs needed want wanted going go goes im okay ok guys anyone someone somebody
    cheers asap basically everyone folks
    yo nah yeah yep yup nope hmm hm um uh erm ah oh eh ya yah wow omg
    """.split()  # noqa: SIM905
)

# Words that carry meaning for the question even though they are short or common.
_KEEP = frozenset({"when", "how", "long", "much", "many", "again", "before", "after", "yet",
                   "now", "still", "today", "online", "home", "free", "first", "second", "third"})

# Every word the normaliser treats as grammar rather than content; the matcher's
# spelling correction may map a typo onto one of these ("waht" → "what").
FUNCTION_WORDS = _STOPWORDS | _KEEP
GRAMMAR_WORDS = _STOPWORDS


def _synonym_sources() -> frozenset[str]:
    """The words the rules above rewrite ("renew", "retired", "cooldown", "passmark"),
    which never appear in normalised text: the matcher's spelling correction may still
    aim at them, so "reenw" is read as "renew" and then normalised to "renewal"."""
    words: set[str] = set(_WORD_MAP)
    for pattern, _ in _PHRASES:
        # "cool ?-? ?down", "brain ?dumps?": the joined spellings count too
        joined = re.sub(r" \?-\? \?| \?|-\? \?", "", pattern).replace("s?", "s")
        words.update(re.findall(r"(?<![\\a-z])[a-z]{5,}(?![a-z?])", joined))
    return frozenset(w for w in words if w.isalpha() and len(w) >= 5 and w not in _STOPWORDS)


SYNONYM_SOURCES = _synonym_sources()

_PUNCT_RE = re.compile(r"[^\w\s'\-+#%/]")
_INNER_DASH_RE = re.compile(r"(?<=[a-z])-(?=[a-z])")
_DASHES_RE = re.compile(r"-+")
_NON_WORD_RE = re.compile(r"[^\w\s\-+#%]")
_SPACES_RE = re.compile(r"\s+")


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _canonical_code(match: re.Match[str]) -> str:
    prefix, digits = match.group(1), match.group(2)
    if prefix not in MICROSOFT_CODE_PREFIXES:
        return match.group(0)
    code = try_normalize_exam_code(prefix + digits)
    return f" {code} " if code else match.group(0)


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Canonical text: lower case (codes upper case), no accents or punctuation,
    codes as ``AI-102``, shorthand expanded and synonyms collapsed."""
    text = fold_code_text(text).translate(_QUOTES)
    text = _strip_accents(text).lower()
    text = _CODE_RE.sub(_canonical_code, text)
    # Keep apostrophes for the contraction rules, then drop them.
    text = _PUNCT_RE.sub(" ", text)
    text = _INNER_DASH_RE.sub(" ", text)
    text = " ".join(_WORD_MAP.get(word, word) for word in text.split())
    for pattern, replacement, gate in _COMPILED_PHRASES:
        if gate is not None and gate.search(text) is None:
            continue
        text = pattern.sub(replacement, text)
    text = text.replace("'", " ").replace("/", " ")
    # Dashes inside words ("e-mail", "re-take" already handled) become spaces, but the
    # dash of a canonical code stays.
    tokens = []
    for raw in text.split():
        if CODE_TOKEN_RE.match(raw):
            tokens.append(raw)
            continue
        tokens.extend(t for t in _DASHES_RE.split(raw.lower()) if t)
    return " ".join(_NON_WORD_RE.sub("", t) if not CODE_TOKEN_RE.match(t) else t
                    for t in tokens if t.strip("-"))


def exam_codes(normalized: str) -> list[str]:
    """The canonical exam codes in an already normalised text, in order."""
    return [t for t in normalized.split() if CODE_TOKEN_RE.match(t)]


def stem(word: str) -> str:
    """A deliberately small stemmer: both sides go through it, so it only has to map
    a word's forms together (``retakes``/``retaking``/``retake`` → ``retak``)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


@lru_cache(maxsize=8192)
def _content(token: str) -> str | None:
    if CODE_TOKEN_RE.match(token):
        return CODE_PLACEHOLDER
    if token in _KEEP:
        return token
    if token in _STOPWORDS or (len(token) < 2 and not token.isdigit()):
        return None
    return stem(token)


def content_tokens(normalized: str) -> list[str]:
    """Meaningful tokens of a normalised text: stop words dropped, words stemmed,
    exam codes replaced by :data:`CODE_PLACEHOLDER`."""
    out = []
    for token in normalized.split():
        content = _content(token)
        if content is not None:
            out.append(content)
    return out
