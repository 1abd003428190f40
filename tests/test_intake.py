"""Submissions named as people and learning platforms save them (grader/intake.py): who, which
assignment, when, and which copy is graded. No notebook runs here."""
import datetime as dt
import os
import zipfile

import pytest

from grader.assignments import ASSIGNMENTS, schedule
from grader.grading import Report
from grader.intake import collect, identify, slug

A1, A2 = "a1-mle-losses", "a2-regularization"
UTC = dt.timezone.utc


@pytest.mark.parametrize("name, student, assignment, copy", [
    (f"eve_{A1}.ipynb", "eve", A1, 0),
    (f"eve_{A1} (1).ipynb", "eve", A1, 1),                  # Chrome, Firefox
    (f"eve_{A1}(2).ipynb", "eve", A1, 2),
    (f"eve_{A1}-3.ipynb", "eve", A1, 3),
    (f"li_wei_{A2}.ipynb", "li_wei", A2, 0),                  # an underscore in the student id
    (f"smithdave_12345_67890_{A1}.ipynb", "smithdave", A1, 0),                # Canvas
    (f"smithdave_LATE_12345_67890_{A1}-1.ipynb", "smithdave", A1, 1),         # Canvas, late, resubmitted
    (f"A1 MLE losses_jdoe_attempt_2027-03-08-23-59-01_{A1}.ipynb", "jdoe", A1, 0),   # Blackboard
])
def test_platform_names_say_who_and_which_assignment(name, student, assignment, copy):
    got = identify(name)
    assert isinstance(got, dict), got
    assert (got["student"], got["assignment"], got["copy"]) == (student, assignment, copy)


def test_canvas_late_flag_and_blackboard_time_are_read():
    assert identify(f"smithdave_LATE_1_2_{A1}.ipynb")["late_flag"]
    assert not identify(f"smithdave_1_2_{A1}.ipynb")["late_flag"]
    shanghai = schedule()[1]
    got = identify(f"Quiz_jdoe_attempt_2027-03-08-23-59-01_{A1}.ipynb", zone=shanghai)
    assert got["timestamp"] == dt.datetime(2027, 3, 8, 15, 59, 1, tzinfo=UTC)     # 23:59 in UTC+8


@pytest.mark.parametrize("name, why", [
    ("notes.ipynb", "name is not <student>_<assignment>.ipynb"),
    ("eve_a7-nothing.ipynb", "unknown assignment 'a7-nothing'"),
    ("smithdave_1_2_homework.ipynb", "does not name an assignment"),
])
def test_unreadable_names_say_why(name, why):
    got = identify(name)
    assert isinstance(got, str) and why in got


def test_an_export_for_one_assignment_grades_renamed_files_as_it():
    assert identify("smithdave_1_2_homework.ipynb", assignment=A1)["assignment"] == A1
    assert identify("eve_my work.ipynb", assignment=A1)["student"] == "eve"
    other = identify(f"eve_{A2}.ipynb", assignment=A1)
    assert other["assignment"] == A1 and f"names {A2}" in other["note"]


def test_student_names_become_folder_safe_ids():
    assert slug("Dave Smith") == "dave-smith"
    assert slug("  Zoë  O'Neil ") == "zoë-oneil"
    assert slug("张 三") == "张-三"
    assert slug("../../etc") == "etc"


def _touch(path, when, text="{}"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))


def test_the_latest_copy_is_graded_and_the_others_are_reported(tmp_path):
    t0 = dt.datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    _touch(tmp_path / f"eve_{A1}.ipynb", t0 + dt.timedelta(hours=2))        # the newest, though copy 0
    _touch(tmp_path / f"eve_{A1} (1).ipynb", t0)
    _touch(tmp_path / f"eve_{A1} (2).ipynb", t0 + dt.timedelta(hours=1))
    _touch(tmp_path / f"bo_{A1}.ipynb", t0)
    _touch(tmp_path / f"bo_{A1}-1.ipynb", t0)                                 # same time: the higher copy
    report = Report()
    subs = collect(tmp_path, report)
    assert [(s.student, s.path.name) for s in subs] == [("bo", f"bo_{A1}-1.ipynb"), ("eve", f"eve_{A1}.ipynb")]
    assert subs[1].timestamp == t0 + dt.timedelta(hours=2)
    lines = "\n".join(report.problems)
    assert f"eve/{A1}: 3 copies; graded the latest, eve_{A1}.ipynb" in lines
    assert f"eve_{A1} (1).ipynb (2027-03-01 12:00 UTC)" in lines and f"bo_{A1}.ipynb" in lines


def test_moodle_and_nbgrader_layouts_and_their_times(tmp_path):
    t0 = dt.datetime(2027, 3, 2, 8, 30, tzinfo=UTC)
    _touch(tmp_path / "Dave Smith_123456_assignsubmission_file_" / f"{A1}.ipynb", t0)
    _touch(tmp_path / "ann" / A2 / f"{A2}.ipynb", t0)
    (tmp_path / "ann" / A2 / "timestamp.txt").write_text("2027-03-05 10:00:00.000000 UTC")
    report = Report()
    subs = {(s.student, s.assignment): s for s in collect(tmp_path, report)}
    assert subs[("dave-smith", A1)].timestamp == t0
    assert subs[("ann", A2)].timestamp == dt.datetime(2027, 3, 5, 10, 0, tzinfo=UTC)   # nbgrader's timestamp.txt
    assert not report.problems


@pytest.mark.parametrize("text", ["9999-12-31 23:00:00 -1200", "0001-01-01 00:30:00 +0100", "not a time",
                                  "\udcff".encode("utf-8", "surrogateescape").decode("latin-1")])
def test_an_unreadable_timestamp_costs_nothing_but_its_own_time(tmp_path, text):
    # an attack review: a time that parses but leaves the calendar in UTC crashed collect(), and no
    # one in the class was graded
    t0 = dt.datetime(2027, 3, 2, 8, 30, tzinfo=UTC)
    _touch(tmp_path / "mallory" / A1 / f"{A1}.ipynb", t0)
    (tmp_path / "mallory" / A1 / "timestamp.txt").write_text(text, encoding="latin-1")
    _touch(tmp_path / "zed" / A1 / f"{A1}.ipynb", t0)
    report = Report()
    subs = {s.student: s for s in collect(tmp_path, report)}
    assert set(subs) == {"mallory", "zed"}
    assert subs["mallory"].timestamp == t0                  # the file's own time
    assert report.problems == [f"mallory/{A1}: timestamp.txt is not a time that can be read; the notebook's "
                               "file time is used instead"]


def test_a_zip_keeps_the_files_times_and_refuses_links_and_escapes(tmp_path):
    archive = tmp_path / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as z:
        info = zipfile.ZipInfo(f"smithdave_LATE_1_2_{A1}.ipynb", date_time=(2027, 3, 9, 1, 2, 4))
        z.writestr(info, "{}")
        z.writestr("../escape_a1-mle-losses.ipynb", "{}")
        link = zipfile.ZipInfo(f"eve_{A1}.ipynb")
        link.external_attr = (0o120777 << 16)
        z.writestr(link, "/etc/passwd")
    report = Report()
    shanghai = schedule()[1]
    subs = collect(archive, report, zone=shanghai)
    assert [s.student for s in subs] == ["smithdave"] and subs[0].late_flag
    # a zip's times have no zone: read in the schedule's, whatever the grading machine's zone is
    assert subs[0].timestamp == dt.datetime(2027, 3, 8, 17, 2, 4, tzinfo=UTC)
    lines = "\n".join(report.problems)
    assert "unsafe path '../escape_a1-mle-losses.ipynb'" in lines and f"eve_{A1}.ipynb is a link" in lines


def test_links_are_never_followed(tmp_path):
    secret = tmp_path / "solution.ipynb"
    secret.write_text("{}")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / f"eve_{A1}.ipynb").symlink_to(secret)
    (inbox / "bo").mkdir()
    (inbox / "bo" / A1).symlink_to(tmp_path)
    report = Report()
    assert collect(inbox, report) == []
    assert len(report.problems) == 2 and all("link" in p for p in report.problems)


def test_the_schedule_names_only_assignments_and_real_times(tmp_path):
    due, zone = schedule()
    assert set(due) == set(ASSIGNMENTS)
    bad = tmp_path / "s.toml"
    bad.write_text('[due]\na9-nothing = "2027-01-01T00:00:00+00:00"\n')
    with pytest.raises(ValueError, match="a9-nothing"):
        schedule(bad)
    bad.write_text(f'[due]\n{A1} = "next friday"\n')
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        schedule(bad)
    good = tmp_path / "g.toml"
    good.write_text(f'timezone = "Asia/Shanghai"\n[due]\n{A1} = "2027-03-08T23:59:00"\n')
    assert schedule(good)[0][A1] == dt.datetime(2027, 3, 8, 15, 59, tzinfo=UTC)


def test_namesakes_are_never_merged(tmp_path):
    """Two people with one name (Canvas user ids, Moodle participant ids differ) are two students;
    one person's resubmissions (same id) are still copies of one submission."""
    t0 = dt.datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    _touch(tmp_path / f"smithjohn_111_1_{A1}.ipynb", t0)
    _touch(tmp_path / f"smithjohn_111_2_{A1}-1.ipynb", t0 + dt.timedelta(hours=1))
    _touch(tmp_path / f"smithjohn_222_3_{A1}.ipynb", t0)
    _touch(tmp_path / "Dave Smith_12345_assignsubmission_file_" / f"{A1}.ipynb", t0)
    _touch(tmp_path / "Dave Smith_67890_assignsubmission_file_" / f"{A1}.ipynb", t0)
    report = Report()
    subs = {s.student: s for s in collect(tmp_path, report)}
    assert sorted(subs) == ["dave-smith-12345", "dave-smith-67890", "smithjohn-111", "smithjohn-222"]
    assert subs["smithjohn-111"].path.name == f"smithjohn_111_2_{A1}-1.ipynb"        # the resubmission
    lines = "\n".join(report.problems)
    assert "2 different people share this name (platform ids 111, 222)" in lines
    assert "2 different people share this name (platform ids 12345, 67890)" in lines


def test_a_name_cannot_borrow_another_platforms_pattern_to_name_another_student():
    """The student chooses the part of a Canvas name after its prefix; a Blackboard-looking
    name there must not make the file another student's, nor set its time."""
    got = identify(f"mallory_LATE_222_903_x_victim_attempt_2099-01-01-00-00-00_{A1}.ipynb", assignment=A1)
    assert got["student"] == "mallory" and got["late_flag"] and got["timestamp"] is None


@pytest.mark.parametrize("when", ["2024-13-01-00-00-00", "0001-01-01-00-00-00"])
def test_a_bad_date_in_one_name_costs_only_that_file(tmp_path, when):
    _touch(tmp_path / f"Quiz_bob_attempt_{when}_{A1}.ipynb", dt.datetime(2027, 1, 1, tzinfo=UTC))
    _touch(tmp_path / f"eve_{A1}.ipynb", dt.datetime(2027, 1, 1, tzinfo=UTC))
    report = Report()
    assert [s.student for s in collect(tmp_path, report, zone=schedule()[1])] == ["eve"]   # UTC+8: year 0
    assert any("bob_attempt" in p and "not graded" in p for p in report.problems), report.problems


def test_report_lines_never_carry_terminal_control_characters(tmp_path):
    folder = tmp_path / "Dave Smith_12345_assignsubmission_file_"
    _touch(folder / "notes\x1b[2K\rFAKE.ipynb", dt.datetime(2027, 1, 1, tzinfo=UTC))
    report = Report()
    collect(tmp_path, report)
    assert report.problems and all(c.isprintable() for p in report.problems for c in p)


def test_escapes_in_an_nbgrader_layouts_file_names_are_not_printed(tmp_path):
    """Found by an attack review: a renamed notebook's own name, and the names of the ignored
    ones, reached the report raw (a name could erase or rewrite the report's lines)."""
    a = "a1-mle-losses"
    _touch(tmp_path / "mallory" / a / "\x1b[1A\x1b[2K\x1b]0;owned\x07mine.ipynb", dt.datetime(2027, 1, 1, tzinfo=UTC))
    _touch(tmp_path / "trudy" / a / f"{a}.ipynb", dt.datetime(2027, 1, 1, tzinfo=UTC))
    _touch(tmp_path / "trudy" / a / "\x1b[2Kold.ipynb", dt.datetime(2027, 1, 1, tzinfo=UTC))
    report = Report()
    found = collect(tmp_path, report)
    assert any("renamed" in (s.note or "") for s in found)
    lines = report.problems + [s.note for s in found if s.note]
    assert len(lines) == 2 and all(c.isprintable() for line in lines for c in line), lines


def test_a_zip_bomb_is_not_unpacked(tmp_path):
    """A member that unpacks to more than a notebook may be is skipped before a byte of it is written."""
    from grader.grading import MAX_BYTES

    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb_a1-mle-losses.ipynb", b"\0" * (MAX_BYTES + 2**20))
        z.writestr("ok_a1-mle-losses.ipynb", b"{}")
    assert archive.stat().st_size < 2**20
    report = Report()
    found = collect(archive, report)
    try:
        assert [s.student for s in found] == ["ok"]
        assert any("bomb_a1-mle-losses.ipynb is 51 MB unpacked" in p for p in report.problems), report.problems
        assert sum(f.stat().st_size for d in report.unpacked for f in d.rglob("*") if f.is_file()) < 2**20
    finally:
        for d in report.unpacked:
            import shutil
            shutil.rmtree(d, ignore_errors=True)


def test_nbgrader_marks_come_from_the_release_with_no_keys_of_the_students():
    """Found by an attack review: a key nbgrader does not know ("score": 99) kept in a cell's marks
    failed the whole submission; the release's marks are taken instead, and the change reported."""
    import nbformat

    from grader.course import ROOT
    from grader.grading import reset_metadata

    a = "a1-mle-losses"
    release = nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", as_version=4)
    nb = nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_softmax")
    cell.metadata.nbgrader.update(score=99, comment="full marks please")
    changed = reset_metadata(nb, release)
    assert changed == ["test_softmax (unknown keys)"]
    original = next(c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_softmax")
    assert cell.metadata.nbgrader == original.metadata.nbgrader
