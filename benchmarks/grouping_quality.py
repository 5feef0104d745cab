"""Grouping quality: same-story merging and sections, measured with the real briefing.group functions.

    python benchmarks/grouping_quality.py [TOPICS_DIR] [--multinews DATA.jsonl] [--history 1000]

TOPICS_DIR (default ../shared/corpus/topics from the project root) holds
  googlenews_stories/News-TS.jsonl (+ News-S.jsonl): {"text", "cluster"} per line, one article each,
      labelled by story; News-S holds the snippets alone, which splits each line into title and text;
  bbc/<section>/*.txt: one article per file, first line the headline, folder the section.

Stories: B-cubed precision/recall/F1 in batches of 1,000 and of 200 articles, the number of stories
unknown, and the corpus README's reference method run plainly on the same batches of 1,000; sections (BBC): accuracy of configured sections (a name and a dozen keywords each, written
as a user would, not fitted) and NMI of automatic sections, on the whole set and in batches of 200.
Each is measured on the full text and on the text cut to its title and two sentences, alone and with
the articles of the earlier batches as history (what the state database keeps).

The articles are taken in the file's order (BBC: shuffled with a fixed seed) and cut into batches.
Thresholds are chosen on the even-numbered batches (1st, 3rd, ...: the "tune" half) and reported on
the odd-numbered ones (the "test" half). Multi-News (documents of the same event, longer texts) is a
second story set, split by event into two halves the same way.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import normalized_mutual_info_score

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from briefing.config import GroupingConfig, SectionConfig, load_config  # noqa: E402
from briefing.group import build_sections, merge_stories  # noqa: E402
from briefing.model import Article, Summary  # noqa: E402
from briefing.sentences import split_sentences  # noqa: E402

DEFAULT_TOPICS = PROJECT.parent / "shared" / "corpus" / "topics"
DEFAULT_MULTINEWS = PROJECT.parent / "shared" / "corpus" / "summaries" / "multinews_dev500" / "data.jsonl"
STORY_THRESHOLDS = (0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2)
SECTION_THRESHOLDS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15)

# What a reader of BBC News might configure: a name and the words they expect in its stories.
BBC_SECTIONS = (
    SectionConfig(name="Business", keywords=(
        "economy", "market", "shares", "company", "profit", "bank", "investors", "growth", "sales", "prices",
        "oil", "inflation", "interest rates", "firm", "deal")),
    SectionConfig(name="Entertainment", keywords=(
        "film", "music", "actor", "actress", "singer", "band", "album", "movie", "award", "oscar",
        "box office", "television", "celebrity", "festival", "star")),
    SectionConfig(name="Politics", keywords=(
        "election", "government", "minister", "parliament", "party", "vote", "mp", "prime minister",
        "policy", "campaign", "politician", "opposition")),
    SectionConfig(name="Sport", keywords=(
        "match", "football", "cricket", "rugby", "tennis", "team", "player", "coach", "championship",
        "season", "cup", "goal", "league", "olympic")),
    SectionConfig(name="Technology", keywords=(
        "technology", "computer", "software", "internet", "online", "mobile", "phone", "digital",
        "broadband", "website", "video games", "users", "gadget")),
)
BBC_FOLDER_OF = {"Business": "business", "Entertainment": "entertainment", "Politics": "politics",
                 "Sport": "sport", "Technology": "tech"}

Labelled = list[tuple[Article, object]]


@dataclass
class Scores:
    values: list[tuple[float, ...]]

    def mean(self) -> tuple[float, ...]:
        return tuple(float(v) for v in np.mean(self.values, axis=0))


# ---------------------------------------------------------------- data


def googlenews(folder: Path) -> Labelled:
    """Articles in file order; the title is what News-TS holds before the News-S snippet."""
    lines = [json.loads(line) for line in (folder / "News-TS.jsonl").open(encoding="utf-8")]
    snippets_file = folder / "News-S.jsonl"
    snippets = ({json.loads(line)["text"] for line in snippets_file.open(encoding="utf-8")}
                if snippets_file.is_file() else set())
    labelled = []
    for number, line in enumerate(lines):
        words = line["text"].split()
        title, text = "", line["text"]
        for split in range(1, len(words)):
            if " ".join(words[split:]) in snippets:
                title, text = " ".join(words[:split]), " ".join(words[split:])
                break
        labelled.append((Article(id=f"gn{number}", title=title, text=text, source="Google News"), line["cluster"]))
    return labelled


def bbc(folder: Path) -> Labelled:
    labelled = []
    for section in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(section.glob("*.txt")):
            title, _, text = path.read_bytes().decode("utf-8", "replace").strip().partition("\n")
            labelled.append((Article(id=f"{section.name}/{path.stem}", title=title.strip(), text=text.strip(),
                                     source="BBC"), section.name))
    random.Random(2225).shuffle(labelled)  # the folders are sorted by section
    return labelled


def multinews(path: Path) -> Labelled:
    labelled = []
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        for number, document in enumerate(row["documents"]):
            if document.strip():
                labelled.append((Article(id=f"mn{row['idx']}-{number}", title="", text=document.strip(),
                                         source="Multi-News"), row["idx"]))
    random.Random(500).shuffle(labelled)
    return labelled


def find_bbc(topics: Path) -> Path | None:
    """The folder whose subfolders are the sections (bbc/ or bbc/bbc/)."""
    for candidate in (topics / "bbc" / "bbc", topics / "bbc"):
        if candidate.is_dir() and any(p.is_dir() and any(p.glob("*.txt")) for p in candidate.iterdir()):
            return candidate
    return None


def cut_to_lead(article: Article, sentences: int = 2) -> Article:
    """The title and the first two sentences: what a feed's teaser gives."""
    return replace(article, text=" ".join(split_sentences(article.text)[:sentences]))


def batches(labelled: Labelled, size: int) -> list[Labelled]:
    return [labelled[start:start + size] for start in range(0, len(labelled) - size + 1, size)]


def history_before(all_batches: list[Labelled], index: int, count: int) -> list[Article]:
    earlier = [article for batch in all_batches[:index] for article, _ in batch]
    return earlier[-count:] if count else []


# ---------------------------------------------------------------- measures


def bcubed(predicted: Sequence, gold: Sequence) -> tuple[float, float, float]:
    in_predicted, in_gold, in_both = Counter(predicted), Counter(gold), Counter(zip(predicted, gold))
    precision = float(np.mean([in_both[p, g] / in_predicted[p] for p, g in zip(predicted, gold)]))
    recall = float(np.mean([in_both[p, g] / in_gold[g] for p, g in zip(predicted, gold)]))
    return precision, recall, 2 * precision * recall / (precision + recall)


def no_summaries(articles: Sequence[Article]) -> dict[str, Summary]:
    return {a.id: Summary(a.id, (), "none") for a in articles}


def story_labels(articles: list[Article], similarity: float, history: Sequence[Article]) -> list[int]:
    stories = merge_stories(articles, no_summaries(articles), similarity, history=history)
    label = {a.id: n for n, story in enumerate(stories) for a in story.articles}
    return [label[a.id] for a in articles]


def section_labels(articles: list[Article], settings: GroupingConfig, history: Sequence[Article]) -> list[str]:
    stories = merge_stories(articles, no_summaries(articles), settings.story_similarity, history=history)
    sections = build_sections(stories, settings, history=history)
    label = {a.id: s.title for s in sections for story in s.stories for a in story.articles}
    return [label[a.id] for a in articles]


def accuracy(predicted: Sequence[str], gold: Sequence[str]) -> float:
    return float(np.mean([BBC_FOLDER_OF.get(p) == g for p, g in zip(predicted, gold)]))


def nmi(predicted: Sequence[str], gold: Sequence[str]) -> float:
    return float(normalized_mutual_info_score(gold, predicted))


# ---------------------------------------------------------------- stories


def story_scores(all_batches: list[Labelled], chosen: list[int], thresholds: Sequence[float],
                 history: int, transform: Callable[[Article], Article]) -> dict[float, Scores]:
    scores = {t: Scores([]) for t in thresholds}
    for index in chosen:
        articles = [transform(a) for a, _ in all_batches[index]]
        gold = [label for _, label in all_batches[index]]
        context = [transform(a) for a in history_before(all_batches, index, history)]
        for threshold in thresholds:
            scores[threshold].values.append(bcubed(story_labels(articles, threshold, context), gold))
    return scores


def report_stories(name: str, labelled: Labelled, sizes: Sequence[int], history: int, default: float,
                   tune_results: dict) -> None:
    print(f"\n== Stories: {name} ({len(labelled)} articles, {len(set(l for _, l in labelled))} stories), B-cubed")
    print("   threshold chosen on the tune half (even-numbered batches), P/R/F1 on the test half (odd-numbered);")
    print(f"   'with history': the {history} articles before each batch also weigh the terms.")
    header = " ".join(f"{t:>5}" for t in STORY_THRESHOLDS)
    for size in sizes:
        all_batches = batches(labelled, size)
        tune = list(range(0, len(all_batches), 2))
        test = list(range(1, len(all_batches), 2))
        print(f"\n  batches of {size}: {len(all_batches)} ({len(tune)} tune, {len(test)} test)")
        print(f"  {'text':<22} {'history':<8} tune F1 at  {header}   chosen   test P     R     F1    "
              f"test F1 at default {default}")
        same_when_cut = all(cut_to_lead(a).text == a.text for a, _ in labelled)
        for text_name, transform in (("full", lambda a: a), ("title + 2 sentences", cut_to_lead)):
            if text_name != "full" and same_when_cut:
                print(f"  {text_name:<22} the same texts as in full: none has more than two sentences")
                continue
            for with_history in (False, True):
                used_tune = [i for i in tune if i > 0] if with_history else tune
                started = time.perf_counter()
                tuned = story_scores(all_batches, used_tune, STORY_THRESHOLDS, history if with_history else 0,
                                     transform)
                best = max(STORY_THRESHOLDS, key=lambda t: tuned[t].mean()[2])
                tested = story_scores(all_batches, test, sorted({best, default}),
                                      history if with_history else 0, transform)
                p, r, f = tested[best].mean()
                seconds = time.perf_counter() - started
                row = " ".join(f"{tuned[t].mean()[2]:5.3f}" for t in STORY_THRESHOLDS)
                print(f"  {text_name:<22} {'yes' if with_history else 'no':<8}            {row}   {best:<6}   "
                      f"{p:5.3f} {r:5.3f} {f:5.3f}   {tested[default].mean()[2]:5.3f}   ({seconds:.0f} s)")
                tune_results[(name, size, text_name, with_history)] = {t: tuned[t].mean()[2] for t in STORY_THRESHOLDS}


REFERENCE_CUTS = (0.85, 0.88, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97)


def reference_scores(all_batches: list[Labelled], chosen: list[int]) -> dict[float, Scores]:
    """The reference method of the corpus README, plainly: TF-IDF (fitted on the batch) cosine,
    average linkage (scipy) cut at a cosine distance; B-cubed per batch at each cut."""
    scores = {cut: Scores([]) for cut in REFERENCE_CUTS}
    for index in chosen:
        texts = [f"{a.title} {a.text}" for a, _ in all_batches[index]]
        gold = [label for _, label in all_batches[index]]
        matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
        distances = np.clip(1.0 - (matrix @ matrix.T).toarray(), 0.0, None)
        np.fill_diagonal(distances, 0.0)
        tree = linkage(squareform(distances, checks=False), "average")
        for cut in REFERENCE_CUTS:
            scores[cut].values.append(bcubed(list(fcluster(tree, cut, "distance")), gold))
    return scores


def report_reference(labelled: Labelled, size: int) -> None:
    all_batches = batches(labelled, size)
    tune = reference_scores(all_batches, list(range(0, len(all_batches), 2)))
    test = reference_scores(all_batches, list(range(1, len(all_batches), 2)))
    best = max(REFERENCE_CUTS, key=lambda cut: tune[cut].mean()[2])
    ceiling = max(REFERENCE_CUTS, key=lambda cut: test[cut].mean()[2])
    print(f"\n  reference, batches of {size}, no history: TF-IDF cosine, average linkage (scipy), distance cut")
    print("  test F1 at cut " + " ".join(f"{cut}:{test[cut].mean()[2]:.3f}" for cut in REFERENCE_CUTS))
    print(f"  cut chosen on the tune half {best}: test P {test[best].mean()[0]:.3f} R {test[best].mean()[1]:.3f} "
          f"F1 {test[best].mean()[2]:.3f};  best cut on the test half itself ({ceiling}): "
          f"F1 {test[ceiling].mean()[2]:.3f}, a ceiling for the method here")


def report_multinews(labelled: Labelled, default: float, tune_results: dict) -> None:
    events = sorted({label for _, label in labelled})
    tune_events = set(events[0::2])
    halves = {"tune": [(a, l) for a, l in labelled if l in tune_events],
              "test": [(a, l) for a, l in labelled if l not in tune_events]}
    print(f"\n== Stories: Multi-News ({len(labelled)} documents of {len(events)} events, ~160 words each), "
          "B-cubed; halves split by event, each clustered as one batch")
    results = {}
    for half, items in halves.items():
        articles = [a for a, _ in items]
        gold = [label for _, label in items]
        results[half] = {t: bcubed(story_labels(articles, t, ()), gold) for t in STORY_THRESHOLDS}
    best = max(STORY_THRESHOLDS, key=lambda t: results["tune"][t][2])
    print("  tune F1 at " + " ".join(f"{t}:{results['tune'][t][2]:.3f}" for t in STORY_THRESHOLDS))
    p, r, f = results["test"][best]
    print(f"  chosen {best}: test P {p:.3f} R {r:.3f} F1 {f:.3f};  test F1 at default {default}: "
          f"{results['test'][default][2]:.3f}")
    tune_results[("multinews",)] = {t: results["tune"][t][2] for t in STORY_THRESHOLDS}


# ---------------------------------------------------------------- sections


def section_runs(all_batches: list[Labelled], chosen: list[int], settings: GroupingConfig, history: int,
                 transform: Callable[[Article], Article], measure: Callable) -> list[float]:
    values = []
    for index in chosen:
        articles = [transform(a) for a, _ in all_batches[index]]
        gold = [label for _, label in all_batches[index]]
        context = [transform(a) for a in history_before(all_batches, index, history)]
        values.append(measure(section_labels(articles, settings, context), gold))
    return values


def report_sections(labelled: Labelled, base: GroupingConfig, history: int) -> dict[str, float]:
    print(f"\n== Sections: BBC ({len(labelled)} articles, {len(set(l for _, l in labelled))} sections); "
          f"stories merged first at story_similarity {base.story_similarity}")
    print("   section_similarity chosen on the tune half (even-numbered batches of 200), reported on the test half;")
    print("   'whole': all test-half articles at once, and all articles at once (tune half included, for the "
          "reference points)")
    kinds = {
        "configured (accuracy)": (replace_sections(base, BBC_SECTIONS), accuracy),
        "automatic (NMI)": (replace_sections(base, ()), nmi),
    }
    size = 200
    all_batches = batches(labelled, size)
    tune = list(range(0, len(all_batches), 2))
    test = list(range(1, len(all_batches), 2))
    test_whole = [[item for i in test for item in all_batches[i]]]
    everything = [labelled]
    chosen_values = {}
    header = " ".join(f"{t:>5}" for t in SECTION_THRESHOLDS)
    for kind, (settings, measure) in kinds.items():
        print(f"\n  {kind}")
        print(f"  {'text':<22} {'history':<8} tune at {header}   chosen   test batches of 200   "
              f"whole test half   all {len(labelled)}")
        for text_name, transform in (("full", lambda a: a), ("title + 2 sentences", cut_to_lead)):
            for with_history in (False, True):
                started = time.perf_counter()
                past = history if with_history else 0
                used_tune = [i for i in tune if i > 0] if with_history else tune
                tuned = {t: float(np.mean(section_runs(all_batches, used_tune, with_similarity(settings, t), past,
                                                       transform, measure)))
                         for t in SECTION_THRESHOLDS}
                best = max(SECTION_THRESHOLDS, key=lambda t: (round(tuned[t], 3), t))
                final = with_similarity(settings, best)
                in_batches = float(np.mean(section_runs(all_batches, test, final, past, transform, measure)))
                row = " ".join(f"{tuned[t]:5.3f}" for t in SECTION_THRESHOLDS)
                whole = "" if with_history else (
                    f"{section_runs(test_whole, [0], final, 0, transform, measure)[0]:5.3f}             "
                    f"{section_runs(everything, [0], final, 0, transform, measure)[0]:5.3f}")
                seconds = time.perf_counter() - started
                print(f"  {text_name:<22} {'yes' if with_history else 'no':<8}         {row}   {best:<6}   "
                      f"{in_batches:5.3f}                 {whole:<24} ({seconds:.0f} s)")
                chosen_values[(kind, text_name, with_history)] = best
    return chosen_values


def replace_sections(settings: GroupingConfig, sections: tuple[SectionConfig, ...]) -> GroupingConfig:
    return settings.model_copy(update={"sections": sections})


def with_similarity(settings: GroupingConfig, similarity: float) -> GroupingConfig:
    return settings.model_copy(update={"section_similarity": max(similarity, 1e-6)})


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topics", nargs="?", type=Path, default=DEFAULT_TOPICS,
                        help="folder with googlenews_stories/ and bbc/ (default: %(default)s)")
    parser.add_argument("--multinews", type=Path, default=DEFAULT_MULTINEWS,
                        help="Multi-News JSON lines, a second story set (skipped when absent)")
    parser.add_argument("--history", type=int, default=1000, help="earlier articles given as history")
    parser.add_argument("--only", choices=("stories", "sections"), help="run one part")
    args = parser.parse_args()
    defaults = load_config(PROJECT / "config.yaml").grouping.model_copy(update={"sections": ()})
    print(f"grouping defaults (config.yaml): story_similarity {defaults.story_similarity}, "
          f"section_similarity {defaults.section_similarity}")
    tune_results: dict = {}
    if args.only != "sections":
        news = args.topics / "googlenews_stories"
        if (news / "News-TS.jsonl").is_file():
            stories = googlenews(news)
            report_stories("googlenews_stories", stories, (1000, 200), args.history,
                           defaults.story_similarity, tune_results)
            report_reference(stories, 1000)
        else:
            print(f"\n{news}/News-TS.jsonl not found: stories skipped")
        if args.multinews.is_file():
            report_multinews(multinews(args.multinews), defaults.story_similarity, tune_results)
        joint = [v for k, v in tune_results.items()
                 if k == ("multinews",) or (len(k) == 4 and k[2] == "full" and not k[3])]
        if joint:
            best = max(STORY_THRESHOLDS, key=lambda t: np.mean([v[t] for v in joint]))
            print(f"\n  story_similarity with the best mean tune F1 over the full-text sets alone "
                  f"(googlenews 1000 and 200{', Multi-News' if ('multinews',) in tune_results else ''}): {best}  "
                  "(" + " ".join(f"{t}:{np.mean([v[t] for v in joint]):.3f}" for t in STORY_THRESHOLDS) + ")")
    if args.only != "stories":
        folder = find_bbc(args.topics)
        if folder is None:
            print(f"\nno bbc/<section>/*.txt under {args.topics}: sections skipped")
        else:
            report_sections(bbc(folder), defaults, args.history)


if __name__ == "__main__":
    main()
