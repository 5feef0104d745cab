"""The real CLI with several audiences: output per audience, templates new/list, preview."""

from pypdf import PdfReader

from .support import PROJECT, run_cli, write_config

AUDIENCES = f"""
sources:
  - path: {PROJECT / "seeds"}
    name: Samples
grouping:
  sections:
    - {{name: World, keywords: [ceasefire, kremlin, ukraine]}}
    - {{name: Climate, keywords: [wind farm, turbines]}}
    - {{name: Sport, keywords: [match, season, league]}}
audiences:
  - name: analyst
  - name: exec
    template_set: executive
    hidden_sections: [Sport]
  - name: desk
    template_set: email
    include: [wind farm]
    formats: [html]
"""


def test_one_run_builds_every_audience_into_its_own_folder(tmp_path):
    write_config(tmp_path, AUDIENCES)
    result = run_cli("run", "--date", "2025-03-12", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert sorted(p.relative_to(out).as_posix() for p in out.glob("*/2025-03-12.*")) == [
        "analyst/2025-03-12.html", "analyst/2025-03-12.pdf", "desk/2025-03-12.html",
        "exec/2025-03-12.html", "exec/2025-03-12.pdf"]
    assert len(PdfReader(out / "exec" / "2025-03-12.pdf").pages) == 1
    desk = (out / "desk" / "2025-03-12.html").read_text()
    assert "Greyhaven" in desk and "ceasefire" not in desk.lower()
    assert "Sport" not in (out / "exec" / "2025-03-12.html").read_text()

    # Only one audience; it has had everything already, the others are not touched.
    again = run_cli("run", "--date", "2025-03-13", "--audience", "desk", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "desk: " in again.stdout and "analyst" not in again.stdout
    assert not (out / "analyst" / "2025-03-13.html").exists()


def test_an_unknown_audience_or_template_set_is_a_clear_error(tmp_path):
    write_config(tmp_path, AUDIENCES + "  - name: odd\n    template_set: nosuchset\n")
    unknown = run_cli("run", "--audience", "ceo", cwd=tmp_path)
    assert unknown.returncode == 2 and "no audience named 'ceo'" in unknown.stderr
    missing = run_cli("run", "--audience", "odd", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no template set 'nosuchset'; the sets are: default, email, executive" in missing.stderr


def test_templates_new_list_and_an_override_that_wins(tmp_path):
    write_config(tmp_path, AUDIENCES + "templates: mine\n")
    created = run_cli("templates", "new", "exec", "--from", "executive", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    copied = tmp_path / "mine" / "exec" / "briefing.html"
    assert copied.is_file()
    copied.write_text(copied.read_text().replace("</body>", "<p>Prepared for the board</p></body>"))
    refused = run_cli("templates", "new", "exec", cwd=tmp_path)
    assert refused.returncode == 2 and "already exists" in refused.stderr

    listed = run_cli("templates", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    exec_part = listed.stdout.split("exec (set executive)")[1].split("\n\n")[0]
    assert f"briefing.html    {copied}" in exec_part and "(overrides" in exec_part

    result = run_cli("run", "--date", "2025-03-12", "--audience", "exec", "--format", "html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Prepared for the board" in (tmp_path / "out" / "exec" / "2025-03-12.html").read_text()


def _pdf_line(stdout: str) -> str:
    (line,) = [line.strip() for line in stdout.splitlines() if line.strip().endswith("2025-03-12.pdf")
               or "2025-03-12.pdf:" in line]
    return line


def test_a_second_run_on_the_same_articles_keeps_the_pdf_and_a_change_makes_it_again(tmp_path):
    write_config(tmp_path, AUDIENCES + "templates: mine\n")
    pdf = tmp_path / "out" / "analyst" / "2025-03-12.pdf"
    build = ("run", "--date", "2025-03-12", "--audience", "analyst")
    first = run_cli(*build, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert _pdf_line(first.stdout).startswith("wrote ")
    made = pdf.stat().st_mtime_ns

    again = run_cli(*build, cwd=tmp_path)  # the same day again: the same articles, nothing new
    assert again.returncode == 0, again.stderr
    assert _pdf_line(again.stdout).endswith("2025-03-12.pdf: made earlier from the same content")
    assert pdf.stat().st_mtime_ns == made

    (tmp_path / "mine" / "analyst").mkdir(parents=True)
    (tmp_path / "mine" / "analyst" / "style.css").write_text("body { color: #123456; }", encoding="utf-8")
    restyled = run_cli(*build, cwd=tmp_path)
    assert restyled.returncode == 0, restyled.stderr
    assert _pdf_line(restyled.stdout).startswith("wrote ")
    assert pdf.stat().st_mtime_ns != made

    pdf.write_bytes(pdf.read_bytes() + b"% altered\n")  # an archived PDF changed by hand is not kept
    touched = run_cli(*build, cwd=tmp_path)
    assert _pdf_line(touched.stdout).startswith("wrote ")


def test_preview_writes_html_and_marks_nothing_delivered(tmp_path):
    write_config(tmp_path, AUDIENCES)
    preview = run_cli("preview", "--audience", "desk", cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    path = tmp_path / "out" / "desk" / "preview.html"
    assert path.as_uri() in preview.stdout and "Greyhaven" in path.read_text()
    # Nothing was delivered: the real run still gets the wind-farm story.
    result = run_cli("run", "--audience", "desk", "--date", "2025-03-12", cwd=tmp_path)
    assert "Greyhaven" in (tmp_path / "out" / "desk" / "2025-03-12.html").read_text()
    # Once delivered, a preview shows the last briefing again rather than an empty page.
    assert run_cli("preview", "--audience", "desk", cwd=tmp_path).returncode == 0
    assert "Greyhaven" in path.read_text(), result.stdout


def test_audiences_given_the_same_articles_share_one_grouping(tmp_path, monkeypatch):
    from datetime import date

    import briefing.pipeline as pipeline
    from briefing.config import load_config

    groupings = []
    real = pipeline.merge_stories
    monkeypatch.setattr(pipeline, "merge_stories", lambda *a, **k: groupings.append(1) or real(*a, **k))
    config = load_config(write_config(tmp_path, AUDIENCES + """
  - name: terse
    summary_sentences: 1
"""))
    result = pipeline.run(config, date(2025, 3, 12))
    assert [e.audience.name for e in result.editions] == ["analyst", "exec", "desk", "terse"]
    assert len(groupings) == 2  # analyst, exec and desk share one; terse's summaries differ
    analyst, exec_, desk, terse = (e.briefing for e in result.editions)
    assert "Sport" in [s.title for s in analyst.sections] and "Sport" not in [s.title for s in exec_.sections]
    assert desk.story_count < analyst.story_count  # each still tailored for its audience
    assert all(len(story.summary.sentences) == 1 for s in terse.sections for story in s.stories
               if len(story.articles) == 1)
