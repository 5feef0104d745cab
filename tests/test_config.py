import pytest

from briefing.config import Config, load_config
from briefing.errors import ConfigError
from tests.support import PROJECT, SEEDS, write_config


def test_the_shipped_config_is_valid_and_points_at_the_seeds():
    config = load_config(PROJECT / "config.yaml")
    assert config.sources[0].path == SEEDS
    assert config.grouping.sections


def test_no_config_means_the_bundled_one_writing_under_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert config.sources[0].path == SEEDS
    assert config.output.dir == tmp_path / "out"


def test_paths_are_relative_to_the_config_file(tmp_path):
    config = load_config(write_config(tmp_path, """
        sources:
          - path: articles
        output:
          dir: briefings
    """))
    assert config.sources[0].path == tmp_path / "articles"
    assert config.output.dir == tmp_path / "briefings"


def test_every_problem_is_reported_at_once_with_file_line_and_key(tmp_path):
    path = write_config(tmp_path, """
        title: Desk
        colour: blue
        summary:
          sentences: three
          algorithm: magic
        output:
          formats: [html, docx]
    """)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "4 problems" in message
    assert f"{path}, line 3, colour: unknown key; the keys allowed here are: " in message
    assert f"{path}, line 5, summary.sentences:" in message and "'three'" in message
    assert f"{path}, line 6, summary.algorithm:" in message and "lexrank" in message
    assert f"{path}, line 8, output.formats.1:" in message and "'docx'" in message


def test_an_unknown_key_inside_a_list_item_lists_the_allowed_keys(tmp_path):
    path = write_config(tmp_path, """
        sources:
          - path: seeds
            nmae: Typo
    """)
    with pytest.raises(ConfigError, match=r"line 4, sources.0.nmae: unknown key; .*name, opml, path, tags, url"):
        load_config(path)


def test_broken_yaml_names_the_line(tmp_path):
    path = write_config(tmp_path, "title: [unclosed\nsummary: {}\n")
    with pytest.raises(ConfigError, match=r"config.yaml, line \d+: not valid YAML"):
        load_config(path)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")


def test_every_config_key_is_documented_in_the_shipped_file():
    shipped = (PROJECT / "config.yaml").read_text(encoding="utf-8")
    for section in ("", "summary", "grouping", "output"):
        model = Config if not section else Config.model_fields[section].annotation
        for key in model.model_fields:
            assert f"{key}:" in shipped, f"{section}.{key} is not in config.yaml"


def test_a_source_gives_exactly_one_location(tmp_path):
    path = write_config(tmp_path, """
        sources:
          - path: seeds
            url: https://example.org/rss
          - name: Nothing
          - url: file:///etc/passwd
    """)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "line 3, sources.0: Value error, give exactly one of path, url or opml (got path, url)" in message
    assert "sources.1: Value error, give exactly one of path, url or opml (got none)" in message
    assert "sources.2: Value error, url must start with http:// or https://" in message


def test_fetch_settings_are_checked(tmp_path):
    path = write_config(tmp_path, """
        fetch:
          timeout_seconds: 0
          allow_private: [10.0.0.0/8, intranet]
    """)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "fetch.timeout_seconds: Input should be greater than 0" in message
    assert "'intranet' is not an IP address or network" in message


def test_state_defaults_next_to_the_config(tmp_path):
    config = load_config(write_config(tmp_path, "title: T\n"))
    assert config.state == tmp_path.resolve() / "briefing-state.sqlite"


def test_audience_values_are_checked_with_their_line(tmp_path):
    path = write_config(tmp_path, """
        audiences:
          - name: Exec Team
          - name: desk
            timezone: Europe/Berlinn
            schedule: "0 25 * * *"
            recipients: [not-an-address]
          - name: desk
    """)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "line 3, audiences.0.name: String should match pattern" in message
    assert "line 5, audiences.1.timezone: Value error, 'Europe/Berlinn' is not a time zone name" in message
    assert "line 6, audiences.1.schedule: Value error, '0 25 * * *' is not a cron line" in message
    assert "line 7, audiences.1.recipients: Value error, 'not-an-address' is not an email address" in message



def test_a_wrong_item_is_reported_alone_not_also_as_a_list_too_short(tmp_path):
    """Pydantic adds "should have at least 1 item" for a list whose only item was wrong: an echo, not a problem."""
    with pytest.raises(ConfigError) as error:
        load_config(write_config(tmp_path, "audiences:\n  - name: Exec Team\n"))
    assert "1 problem in the configuration" in str(error.value) and "at least 1 item" not in str(error.value)
    with pytest.raises(ConfigError, match="audiences: Tuple should have at least 1 item"):
        load_config(write_config(tmp_path, "audiences: []\n"))

def test_audience_names_must_differ(tmp_path):
    path = write_config(tmp_path, "audiences:\n  - name: desk\n  - name: desk\n")
    with pytest.raises(ConfigError, match="audience names must differ; repeated: desk"):
        load_config(path)
