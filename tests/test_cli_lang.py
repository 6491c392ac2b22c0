"""``rasad --lang fa|en``: a person's lines in one language, fa with Persian digits;
the default; errors in both languages unless --lang chose one; the progress bars'
steps (tests/platform/test_cli_lang_db.py has the database's commands)."""

import re
from pathlib import Path

import pytest

from rasad import cli_lang
from rasad.cli import main

ASEM = Path(__file__).parent / "fixtures" / "coinr_asem" / "ASEM_iData.csv"
PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


def english_words(text: str, *allowed: str) -> set[str]:
    """Latin words of three letters or more, less the paths, options and hashes that
    stay as they are in either language."""
    for keep in allowed:
        text = text.replace(keep, "")
    text = re.sub(r"--[a-z-]+|sha256|[0-9a-f]{12}…", "", text)
    return set(re.findall(r"[A-Za-z]{3,}", text))


def build(tmp_path, *options):
    out = tmp_path / "ranking.csv"
    argv = ["index", "build", "--methodology", "asem", "--data", str(ASEM), "--out", str(out)]
    assert main([*argv, *options]) == 0
    return out


def test_index_build_in_persian(tmp_path, capsys):
    out = build(tmp_path, "--lang", "fa")
    said = capsys.readouterr().out
    assert "۵۱ واحد رتبه گرفت" in said and "۰ کنار گذاشته شد" in said
    assert not english_words(said, str(out))
    assert not set("0123456789") & set(said.replace(str(out), "").split("sha256")[0])


def test_index_build_in_english_whatever_rasad_lang_says(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RASAD_LANG", "fa")
    build(tmp_path, "--lang", "en")
    said = capsys.readouterr().out
    assert "51 units ranked" in said and not PERSIAN_DIGITS & set(said)


def test_the_default_is_rasad_lang_else_persian(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RASAD_LANG")
    build(tmp_path)
    assert "۵۱ واحد رتبه گرفت" in capsys.readouterr().out
    monkeypatch.setenv("RASAD_LANG", "en")
    build(tmp_path)
    assert "51 units ranked" in capsys.readouterr().out


def test_lang_goes_before_the_command_too(tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert main(["--lang", "fa", "template", "--no-database", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"الگو → {out}\n"
    assert main(["template", "--no-database", "--out", str(out), "--lang", "en"]) == 0
    assert capsys.readouterr().out == f"template → {out}\n"


def test_errors_in_both_languages_unless_lang_chose_one(tmp_path, capsys):
    argv = ["index", "build", "--methodology", "asem", "--data", str(tmp_path / "none.csv")]
    assert main([*argv, "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot read") and "\nخطا: پروندهٔ داده" in err
    assert main([*argv, "--out", str(tmp_path / "x.csv"), "--lang", "fa"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("خطا: پروندهٔ داده") and "error:" not in err
    assert main([*argv, "--out", str(tmp_path / "x.csv"), "--lang", "en"]) == 2
    assert "خطا" not in capsys.readouterr().err


def test_the_build_bar_knows_every_step(tmp_path, capsys, monkeypatch):
    """Drawn (off a terminal here too), the bar is told every step of the pipeline."""
    monkeypatch.setattr(cli_lang, "showing", lambda args: True)
    told = []
    original = cli_lang.steps

    def recording(args, names):
        keys = [key for key, _, _ in names]
        manager = original(args, names)

        class Recorder:
            def __enter__(self):
                step = manager.__enter__()

                def tell(key, *rest):
                    told.append(key)
                    step(key, *rest)

                return tell

            def __exit__(self, *exc):
                return manager.__exit__(*exc)

        assert len(set(keys)) == len(keys)
        return Recorder()

    monkeypatch.setattr("rasad.cli.steps", recording)
    build(tmp_path, "--lang", "fa")
    from rasad.cli import BUILD_STEPS

    assert told == [key for key, _, _ in BUILD_STEPS]


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_monitor_needs_from_the_demo_files(lang, tmp_path, capsys):
    from rasad.demo import generate

    generate(n_enterprises=120, seed=2).to_csv(tmp_path / "demo")
    argv = ["monitor", "needs", "--data", str(tmp_path / "demo"), "--out", str(tmp_path / "n.csv")]
    assert main([*argv, "--lang", lang]) == 0
    said = capsys.readouterr()
    if lang == "fa":
        assert "بنگاه برای" in said.out and PERSIAN_DIGITS & set(said.out)
        # the programmes' codes stay as in the needs mapping, as the option's value does
        programmes = {"exports", "finance", "innovation", "skills", "standards", "technology"}
        assert english_words(said.out, str(tmp_path / "n.csv"), "province") <= programmes
    else:
        assert "enterprises filed for" in said.out and not PERSIAN_DIGITS & set(said.out)
