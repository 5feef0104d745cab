"""Key quotes: the direct quotations in an article, each with the speaker the text names.

News attributes a quotation in a few fixed ways, and these are the ones recognised:

    "…," Lavrov stated.        "…," said Ms. Smith.        "…," he added.
    Smith said: "…"            Rubio stated, "…"           "…", according to Smith.

with straight or curly double quotes (also ‘…’ and «…»). A pronoun ("he added") is the
speaker of the quote just before it, else the person the previous sentence is about; a
quotation standing alone right after an attributed one continues that speaker (the news
convention for a quote running over several sentences or paragraphs). Otherwise the
speaker stays None: it is never guessed. Partial quotes ("a positive step") and scare
quotes ("Coalition of the Willing") are phrases, not quotations of a speaker, and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Quote, Story
from .sentences import split_sentences, words

SPEECH_VERBS = frozenset("""
    say says said saying state states stated stating add adds added adding tell tells told telling
    ask asks asked asking explain explains explained explaining note notes noted noting insist insists
    insisted insisting warn warns warned warning argue argues argued arguing write writes wrote writing
    declare declares declared declaring announce announces announced announcing confirm confirms
    confirmed confirming affirm affirms affirmed affirming assert asserts asserted asserting reveal
    reveals revealed revealing emphasise emphasises emphasised emphasising emphasize emphasizes
    emphasized emphasizing stress stresses stressed stressing continue continues continued continuing
    reply replies replied replying respond responds responded responding remark remarks remarked
    comment comments commented commenting acknowledge acknowledges acknowledged acknowledging admit
    admits admitted admitting concede concedes conceded conceding claim claims claimed claiming
    observe observes observed observing recall recalls recalled recalling quip quipped joke joked
    tweet tweeted post posted urge urges urged urging caution cautions cautioned cautioning predict
    predicted promise promised vow vowed pledge pledged complain complained suggest suggests suggested
    conclude concluded counter countered express expressed expressing quoted reiterate reiterated
    maintain maintained shout shouted whisper whispered testify testified
""".split())

_AUXILIARIES = r"(?:was|were|is|are|has|have|had|been|also|later|then|again|once|recently|would|will)"
# What may stand between a speaker and the speech verb: ", the foreign minister," / "has also" / "openly".
_ATTACHED = re.compile(rf"\s*(?:,[^,]{{1,120}},\s*)?(?:(?:{_AUXILIARIES}|[a-z]+ly)\s+)*")
_FOLLOWED_BY_VERB = re.compile(rf"{_ATTACHED.pattern}[a-z]+\b")
_SPEAKER_REACH = 200  # characters before a speech verb where its speaker may stand
_PRONOUNS = frozenset({"he", "she", "they", "it"})
# Capitalised words that open a sentence without being anyone's name.
_NOT_NAMES = frozenset("""
    a an the this that these those it its in on at by for with as after before while when where despite
    meanwhile yet but and or so however according yesterday today tomorrow earlier later last next
    reports analysts officials critics supporters residents there here what why how if although though
    once since until during over under among amid between from into about also still even only now then
""".split())
_PARTICLES = frozenset({"de", "del", "della", "der", "den", "van", "von", "da", "di", "du", "la", "le",
                        "al", "el", "bin", "ibn", "of", "the", "y"})
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "col", "capt", "sgt",
                            "lt", "rev", "gov", "sen", "rep", "hon", "mt"})
# Words naming an office rather than a person: "US President Donald Trump" is said by "Donald Trump".
_ROLES = frozenset("""
    president vice prime minister secretary state general chief chancellor senator governor mayor
    councillor councilwoman councilman judge justice professor king queen prince princess pope
    chairman chairwoman chair ceo director commissioner ambassador envoy spokesman spokeswoman
    spokesperson deputy advisor adviser officer inspector captain colonel major lieutenant sergeant
    admiral marshal commander premier speaker leader coach manager taoiseach emir sheikh bishop
    archbishop cardinal detective superintendent constable sheriff attorney founder executive
    treasurer foreign defence defense interior finance health security national press army navy
    police striker goalkeeper midfielder defender
""".split())
# Nouns that make "a spokesperson for the Chinese Foreign Ministry" or "the minister" a speaker.
_ROLE_NOUNS = _ROLES | frozenset("""
    official officials representative source sources aide analyst analysts economist researcher
    researchers scientist scientists doctor doctors lawyer lawyers prosecutor prosecutors company
    government council board union regulator authority authorities ministry department office
    commission committee agency spokespeople statement witness witnesses resident residents
""".split())
_HONORIFICS = frozenset({"mr", "mrs", "ms", "dr", "prof", "sir", "dame"})
_DETERMINERS = frozenset({"a", "an", "the"})
_LINKS = frozenset({"for", "of", "at", "from", "with", "in"})

_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?\.?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\W\d_])")
_QUOTE_PAIRS = {'"': '"', "“": "”", "«": "»", "‘": "’"}
_OPENING_MARK = re.compile("[" + "".join(_QUOTE_PAIRS) + "]")
_FULL_STOP_INSIDE = re.compile(r"[.…]['’\"”»)\]]*$")
_MIN_WORDS = 3
_MAX_CHARS_READ = 60_000  # a long feature is half that; a huge text is read this far only
_MIN_WORDS_UNATTRIBUTED = 6  # a short capitalised phrase in quotes with no speaker is a title or a name


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        return self.text.rstrip(".")

    @property
    def is_name(self) -> bool:
        return self.text[0].isupper() and not self.is_possessive and self.word.lower() not in _PRONOUNS

    @property
    def is_possessive(self) -> bool:
        return self.word.endswith(("'s", "’s", "s'", "s’"))


@dataclass(frozen=True)
class _Speaker:
    name: str | None
    pronoun: bool = False


@dataclass
class _Found:
    text: str
    unit: int  # index of its sentence
    lead_in: str
    lead_out: str
    speaker: _Speaker | None = None
    attributed: bool = False  # the text says who, even when we cannot name them ("she said")


def extract_quotes(text: str, language: str = "en") -> list[Quote]:
    """Direct quotations in `text`, in order, with their speakers.

    A quote's position is the index of its sentence as `split_sentences` counts them, the
    same count as `SummarySentence.position`.
    """
    return _quotes_and_sentence_count(text, language)[0]


def _quotes_and_sentence_count(text: str, language: str) -> tuple[list[Quote], int]:
    """`extract_quotes`, and how many sentences were read (the whole text unless it is huge)."""
    units = split_sentences(text[:_MAX_CHARS_READ], language)
    found = [quote for index, unit in enumerate(units) for quote in _quotes_in(unit, index)]
    _mend_broken_attributions(found, units)
    for quote in found:
        quote.speaker = _speaker_after(quote) or _speaker_before(quote.lead_in)
        quote.attributed = quote.speaker is not None
    found = _merge_split_quotes(found)
    _resolve(found, units)
    quotes = [Quote(q.text.removesuffix(",").rstrip(), q.speaker.name if q.speaker else None, q.unit)
              for q in found if _is_utterance(q)]
    return quotes, len(units)


def key_quotes(story: Story, limit: int) -> list[Quote]:
    """The `limit` most substantive quotes from all of a story's articles, best first.

    A quote scores for having a named speaker (+3), a length that says something (10-45
    words +2, 6-9 or 46-70 words +1; shorter ones are not considered), figures (+1), a
    place in the first third of an article (+1; news puts what matters first) and each
    further outlet carrying it (+1); one that the summary already holds scores -5, since
    the reader has it. A speaker's second quote comes only after every other speaker's best.
    """
    if limit <= 0:
        return []
    summary_text = _squashed(story.summary.text)
    candidates: dict[str, _Candidate] = {}  # by squashed text: a quote several outlets carry counts once
    for article in story.articles:
        quotes, sentence_count = _quotes_and_sentence_count(article.text, article.language)
        for quote in quotes:
            if len(words(quote.text)) < _MIN_WORDS_UNATTRIBUTED:
                continue
            key = _squashed(quote.text)
            early = quote.position < sentence_count / 3
            if key in candidates:
                known = candidates[key]
                candidates[key] = _Candidate(known.quote, known.outlets + 1, known.early or early)
            else:
                candidates[key] = _Candidate(quote, 1, early)
    # sorted() is stable: between equal scores, the lead article's order stands
    ranked = sorted(candidates.values(), key=lambda c: -_substance(c, summary_text))
    return _one_per_speaker_first([c.quote for c in ranked])[:limit]


@dataclass(frozen=True)
class _Candidate:
    quote: Quote
    outlets: int
    early: bool


def _substance(candidate: _Candidate, summary_text: str) -> int:
    quote = candidate.quote
    count = len(words(quote.text))
    score = 3 if quote.speaker else 0
    score += 2 if 10 <= count <= 45 else 1 if count <= 70 else 0
    score += 1 if any(ch.isdigit() for ch in quote.text) else 0
    score += 1 if candidate.early else 0
    score += candidate.outlets - 1
    score -= 5 if _squashed(quote.text) in summary_text else 0
    return score


def _one_per_speaker_first(ranked: list[Quote]) -> list[Quote]:
    first, later, seen = [], [], set()
    for quote in ranked:
        speaker = (quote.speaker or "").lower()
        (later if speaker and speaker in seen else first).append(quote)
        seen.add(speaker)
    return first + later


def _squashed(text: str) -> str:
    return " ".join(w.lower() for w in words(text))


# --- finding the quotations -------------------------------------------------------------

def _quotes_in(unit: str, index: int) -> list[_Found]:
    spans = _quote_spans(unit)
    found = []
    for n, (start, end) in enumerate(spans):
        previous_end = spans[n - 1][1] if n else 0
        next_start = spans[n + 1][0] if n + 1 < len(spans) else len(unit)
        inner = unit[start + 1:end - 1].strip()
        found.append(_Found(inner, index, unit[previous_end:start], unit[end:next_start]))
    return found


def _quote_spans(unit: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost quotation, marks included; unclosed marks are ignored."""
    spans: list[tuple[int, int]] = []
    unclosed: set[str] = set()  # marks with no closing one further on: later ones will not close either
    mark = _OPENING_MARK.search(unit)
    while mark:
        position, opening = mark.start(), mark.group()
        if opening not in unclosed and _opens(unit, position):
            end = _closing(unit, position)
            if end is not None:
                spans.append((position, end + 1))
                mark = _OPENING_MARK.search(unit, end + 1)
                continue
            unclosed.add(opening)
        mark = _OPENING_MARK.search(unit, position + 1)
    return spans


def _opens(unit: str, position: int) -> bool:
    if unit[position] != "‘":
        return True
    return position == 0 or not unit[position - 1].isalnum()  # ‘ is also an apostrophe: rock ‘n’ roll


def _closing(unit: str, position: int) -> int | None:
    opening = unit[position]
    closing = _QUOTE_PAIRS[opening]
    search = position + 1
    while (end := unit.find(closing, search)) != -1:
        if closing != "’":
            return end
        # ’ is also an apostrophe; a closing one follows punctuation and ends a word run.
        following = unit[end + 1:end + 2]
        if unit[end - 1] in ",.!?" and (not following or not following.isalnum()):
            return end
        search = end + 1
    return None


def _mend_broken_attributions(found: list[_Found], units: list[str]) -> None:
    """'"…," Ms.' + 'Hartigan said.': the splitter can end a sentence at a title; read on into the next."""
    for quote in found:
        tokens = _tokens(quote.lead_out)
        ends_with_title = bool(tokens) and tokens[-1].word.lower() in _ABBREVIATIONS
        if ends_with_title and not quote.lead_out[tokens[-1].end:].strip() and quote.unit + 1 < len(units):
            quote.lead_out = f"{quote.lead_out.rstrip()} {units[quote.unit + 1]}"


def _merge_split_quotes(found: list[_Found]) -> list[_Found]:
    """'"We are ready," he said, "but not at any price."' is one quotation."""
    merged: list[_Found] = []
    for quote in found:
        before = merged[-1] if merged else None
        if (before and before.unit == quote.unit and before.text.endswith(",") and quote.text[:1].islower()
                and quote.lead_in.strip().endswith(",") and before.speaker is not None):
            before.text = f"{before.text} {quote.text}"
            before.lead_out = quote.lead_out
            continue
        merged.append(quote)
    return merged


def _is_utterance(quote: _Found) -> bool:
    """A full quoted sentence, not a phrase: it starts with a capital and says enough."""
    text = quote.text.lstrip("…. ")
    count = len(words(text))
    if not text or not (text[0].isupper() or text[0].isdigit()) or count < _MIN_WORDS:
        return False
    ends_like_speech = text[-1:] in ",.!?…" or quote.attributed
    return ends_like_speech or count >= _MIN_WORDS_UNATTRIBUTED


# --- who said it --------------------------------------------------------------------------

def _speaker_after(quote: _Found) -> _Speaker | None:
    """'"…," Lavrov stated.' / '"…," said Ms. Smith.' / '"…", according to Smith.'"""
    if _FULL_STOP_INSIDE.search(quote.text):
        return None  # '"…." Mr. Poll is managing director' starts a new sentence
    lead_out = _first_sentence(quote.lead_out)
    stripped = lead_out.lstrip(" ,")
    offset = len(lead_out) - len(stripped)
    tokens = _tokens(lead_out)
    if not tokens or tokens[0].start != offset:
        return None
    first = tokens[0].word.lower()
    if first in SPEECH_VERBS:
        return _speaker_starting(lead_out, tokens[1:])
    if first == "according" and len(tokens) > 1 and tokens[1].word == "to":
        return _speaker_starting(lead_out, tokens[2:])
    speaker, end = _speaker_phrase_at(lead_out, tokens, 0)
    if speaker is None:
        return None
    verb = next((t for t in tokens if t.start >= end and t.word.lower() in SPEECH_VERBS), None)
    return speaker if verb and _ATTACHED.fullmatch(lead_out[end:verb.start]) else None


def _speaker_before(lead_in: str) -> _Speaker | None:
    """'Smith said: "…"' / 'Rubio stated, "…"' / 'X, the minister, was quoted saying, "…"'."""
    clause = _last_sentence(lead_in)
    if not clause.rstrip().endswith((",", ":")) and not _ends_with_speech_verb(clause):
        return None
    tokens = _tokens(clause)
    verb = next((t for t in tokens if t.word.lower() in SPEECH_VERBS and not t.text[0].isupper()), None)
    if verb is None:
        return None
    before = [t for t in tokens if t.end <= verb.start and t.start >= verb.start - _SPEAKER_REACH]
    for start in reversed(range(len(before))):
        if _continues_run(clause, before, start):
            continue
        speaker, end = _role_phrase_ending_with(clause, before, start)
        if speaker is None:
            speaker, end = _speaker_phrase_at(clause, before, start)
        if speaker is not None and _ATTACHED.fullmatch(clause[end:verb.start]):
            return speaker
    if verb.word.endswith("ing"):  # "Trump opened by saying, …": the subject of the main clause
        subject = _subject(clause[:verb.start])
        return _Speaker(subject) if subject else None
    return None


def _speaker_starting(text: str, tokens: list[_Token]) -> _Speaker | None:
    speaker, _ = _speaker_phrase_at(text, tokens, 0) if tokens else (None, 0)
    return speaker


def _speaker_phrase_at(text: str, tokens: list[_Token], index: int) -> tuple[_Speaker | None, int]:
    """The speaker named from tokens[index] (a name, a pronoun, 'a spokesperson for X') and where it ends."""
    token = tokens[index]
    if token.word.lower() in _PRONOUNS:
        return _Speaker(None, pronoun=True), token.end
    if token.word.lower() in _DETERMINERS:
        return _role_phrase(text, tokens, index)
    if not token.is_name or (_opens_sentence(text, token) and _not_a_name(token)):
        return None, token.end
    run = _run(text, tokens, index)
    return _Speaker(_display(run)), run[-1].end


def _role_phrase(text: str, tokens: list[_Token], index: int) -> tuple[_Speaker | None, int]:
    """'a spokesperson for the Chinese Foreign Ministry', 'the minister'."""
    for n in range(index + 1, min(index + 5, len(tokens))):
        if not _only_spaces(text, tokens[n - 1].end, tokens[n].start):
            break
        if tokens[n].word.lower() in _ROLE_NOUNS and tokens[n].text[0].islower():
            end = n
            link = n + 1
            linked = link < len(tokens) and tokens[link].word in _LINKS
            if linked and _only_spaces(text, tokens[n].end, tokens[link].start):
                named = link + 1
                if named < len(tokens) and tokens[named].word == "the":
                    named += 1
                if named < len(tokens) and tokens[named].is_name:
                    last = _run(text, tokens, named)[-1]
                    return _Speaker(_lowered(text[tokens[index].start:last.end])), last.end
            return _Speaker(_lowered(text[tokens[index].start:tokens[end].end])), tokens[end].end
    return None, tokens[index].end


def _lowered(phrase: str) -> str:
    """'The Rovers manager' -> 'the Rovers manager': a description, read after a dash."""
    return phrase[0].lower() + phrase[1:]


def _role_phrase_ending_with(text: str, tokens: list[_Token], index: int) -> tuple[_Speaker | None, int]:
    """When the name at tokens[index] ends 'a spokesperson for the …', that whole phrase."""
    if not tokens[index].is_name:
        return None, 0
    run_end = _run(text, tokens, index)[-1].end
    for determiner in range(index - 1, max(-1, index - 8), -1):
        if tokens[determiner].word.lower() in _DETERMINERS:
            speaker, end = _role_phrase(text, tokens, determiner)
            if speaker is not None and end == run_end:
                return speaker, end
    return None, 0


def _continues_run(text: str, tokens: list[_Token], index: int) -> bool:
    """Whether tokens[index] is inside a run of names that starts earlier ('Trump' in 'Donald Trump')."""
    if index == 0 or not _only_spaces(text, tokens[index - 1].end, tokens[index].start):
        return False
    previous = tokens[index - 1]
    if previous.is_name and not (_opens_sentence(text, previous) and _not_a_name(previous)):
        return True
    return previous.word in _PARTICLES and index >= 2 and tokens[index - 2].is_name and _only_spaces(
        text, tokens[index - 2].end, previous.start)


def _run(text: str, tokens: list[_Token], index: int) -> list[_Token]:
    """Capitalised words from tokens[index] on, joined by spaces and particles: 'Secretary of State X'."""
    run = [tokens[index]]
    n = index + 1
    while n < len(tokens) and _only_spaces(text, run[-1].end, tokens[n].start):
        if tokens[n].is_name:
            run.append(tokens[n])
            n += 1
        elif (tokens[n].word in _PARTICLES and n + 1 < len(tokens) and tokens[n + 1].is_name
              and _only_spaces(text, tokens[n].end, tokens[n + 1].start)):
            run.extend(tokens[n:n + 2])
            n += 2
        else:
            break
    return run


def _display(run: list[_Token]) -> str:
    """The person, without the office before the name: 'US President Donald Trump' -> 'Donald Trump'."""
    words_ = [t.text if t.word.lower() in _ABBREVIATIONS or len(t.word) == 1 else t.word for t in run]
    last_role = max((i for i, t in enumerate(run)
                     if t.word.lower() in _ROLES | _HONORIFICS and len(run) - i - 1 >= 2), default=-1)
    kept = words_[last_role + 1:]
    while kept and kept[0] in _PARTICLES:
        kept = kept[1:]
    return " ".join(kept or words_)


def _subject(text: str) -> str | None:
    """The first named person a sentence is about: a name followed by its verb."""
    tokens = _tokens(text)
    for index, token in enumerate(tokens):
        if not token.is_name or (_opens_sentence(text, token) and _not_a_name(token)):
            continue
        if index and tokens[index - 1].is_name and _only_spaces(text, tokens[index - 1].end, token.start):
            continue  # inside a run already tried
        run = _run(text, tokens, index)
        verb = _FOLLOWED_BY_VERB.match(text, run[-1].end)
        if verb and verb.group().split()[0] not in ("and", "or"):
            return _display(run)
    return None


def _resolve(found: list[_Found], units: list[str]) -> None:
    """Pronouns get the previous speaker; a lone quotation right after an attributed one continues it."""
    for n, quote in enumerate(found):
        previous = found[n - 1] if n else None
        recent = previous if previous and quote.unit - previous.unit <= 1 else None
        recent_name = recent.speaker.name if recent and recent.speaker else None
        if quote.speaker and quote.speaker.pronoun:
            previous_sentence = _blank_quotes(units[quote.unit - 1]) if quote.unit else ""
            name = recent_name or _subject(previous_sentence)
            quote.speaker = _Speaker(name) if name else None
        elif quote.speaker is None and recent_name and _stands_alone(quote):
            quote.speaker = _Speaker(recent_name)


def _stands_alone(quote: _Found) -> bool:
    return not quote.lead_in.strip() and not words(quote.lead_out)


# --- small text helpers -----------------------------------------------------------------------

def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _WORD.finditer(text):
        word = match.group()
        end = match.end()
        if word.endswith(".") and word[:-1].lower() not in _ABBREVIATIONS and len(word) > 2:
            word, end = word[:-1], end - 1  # a full stop, not an abbreviation's
        tokens.append(_Token(word, match.start(), end))
    return tokens


def _only_spaces(text: str, start: int, end: int) -> bool:
    return start <= end and not text[start:end].strip()


def _opens_sentence(text: str, token: _Token) -> bool:
    before = text[:token.start].rstrip(" \"“‘'")
    return not before or before.endswith((".", "!", "?", "—", ":"))


def _not_a_name(token: _Token) -> bool:
    word = token.word.lower()
    return word in _NOT_NAMES or word in _PRONOUNS or word.endswith("ing")


def _ends_with_speech_verb(clause: str) -> bool:
    tokens = _tokens(clause)
    return bool(tokens) and tokens[-1].word.lower() in SPEECH_VERBS and not clause[tokens[-1].end:].strip()


def _sentence_breaks(text: str) -> list[int]:
    """Where sentences start within `text`, not counting the full stops of 'Mr.' or 'K.'."""
    breaks = []
    for match in _SENTENCE_END.finditer(text):
        word_before = text[max(0, match.start() - 12):match.start()].rsplit(None, 1)[-1].rstrip(".!?").lower()
        if word_before not in _ABBREVIATIONS and len(word_before) > 1:
            breaks.append(match.end())
    return breaks


def _first_sentence(text: str) -> str:
    breaks = _sentence_breaks(text)
    return text[:breaks[0]] if breaks else text


def _last_sentence(text: str) -> str:
    """The clause that leads into a quotation: what follows the last full stop."""
    breaks = _sentence_breaks(text)
    return text[breaks[-1]:] if breaks else text


def _blank_quotes(unit: str) -> str:
    spans = _quote_spans(unit)
    for start, end in reversed(spans):
        unit = f"{unit[:start]} — {unit[end:]}"
    return unit

