"""Find the submissions in a folder or zip, named the way people and platforms save them.

Accepted (the student, the assignment and a time are read from the name or the folder):

    nbgrader layout   <student>/<assignment>/<assignment>.ipynb  (timestamp.txt beside it, if any)
    plain             <student>_<assignment>.ipynb
    browser copies    <student>_<assignment> (1).ipynb, <student>_<assignment>(2).ipynb
    Canvas            <name>_[LATE_]<user id>_<file id>_<assignment>[-N].ipynb
    Blackboard        <title>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<assignment>.ipynb
    Moodle            <Full Name>_<id>_assignsubmission_file_/<assignment>.ipynb

A name that does not say which assignment it is (a student renamed the file) is graded as
`assignment=` when the export is for one assignment (`grade --assignment`), and refused
otherwise. When a student has several copies of the same assignment, the latest one is
graded (by its time, then by its copy number) and the report names the ones ignored.

The time of a submission is the one in the export (Blackboard's attempt, nbgrader's
timestamp.txt), else the file's modification time (kept from the zip). Nothing is ever read
through a link: links are refused with a line in the report.
"""
import datetime as dt
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .assignments import ASSIGNMENTS

STUDENT = re.compile(r"^[^\W_][\w.-]*\Z")
COPY = re.compile(r"^(?P<stem>.*?)(?:\s*\((?P<paren>\d+)\)|-(?P<dash>\d+))$")
CANVAS = re.compile(r"^(?P<student>[^_]+)_(?P<late>LATE_)?(?P<identity>\d+)_\d+_(?P<file>.+)$")
BLACKBOARD = re.compile(r"^.+?_(?P<student>[^_]+)_attempt_(?P<when>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)_(?P<file>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<student>.+?)_(?P<identity>\d+)_assignsubmission_file_?$")
PLAIN = re.compile(r"^(?P<student>.+?)_(?P<file>a\d+-[a-z0-9-]+(?:\s*\(\d+\))?)$")
RENAMED = re.compile(r"^(?P<student>[^_]+)_(?P<file>.+)$")


@dataclass
class Submission:
    student: str
    assignment: str
    path: Path | None                        # None: the folder held no notebook to grade (note says why)
    note: str = ""
    timestamp: dt.datetime | None = None     # aware, UTC
    copy: int = 0                            # the browser's or Canvas's copy number
    late_flag: bool = False                  # the platform marked it late (Canvas's LATE_)
    identity: str = ""                       # the platform's id for the person (Canvas user, Moodle participant)


def shown(name):
    """A name as the report prints it: control characters (terminal escapes, newlines) as '?'."""
    return "".join(c if c.isprintable() else "?" for c in str(name))


def slug(name):
    """A student id nbgrader can use as a folder name: 'Dave Smith' -> 'dave-smith'."""
    name = unicodedata.normalize("NFKC", name).strip().lower()
    name = re.sub(r"\s+", "-", name)
    name = re.sub(r"[^\w.-]", "", name).strip("._-")
    return name


def assignment_of(filename, default=None):
    """(assignment, copy number) named by a file's name (`a1-mle-losses (1).ipynb`), or (default, 0)."""
    stem = filename[:-len(".ipynb")] if filename.endswith(".ipynb") else filename
    if stem in ASSIGNMENTS:
        return stem, 0
    m = COPY.match(stem)
    if m and m["stem"] in ASSIGNMENTS:
        return m["stem"], int(m["paren"] or m["dash"])
    return default, 0


def file_time(path):
    return dt.datetime.fromtimestamp(os.lstat(path).st_mtime, dt.timezone.utc)


def read_timestamp(path, zone):
    """nbgrader's timestamp.txt, as an aware UTC time (naive times are in `zone`), or None."""
    from dateutil.parser import parse

    try:
        when = parse(Path(path).read_text(encoding="utf-8").strip()[:100])
        # in the try too: a time near year 1 or 9999 parses, and then leaves the calendar in UTC
        return (when if when.tzinfo else when.replace(tzinfo=zone)).astimezone(dt.timezone.utc)
    except (OSError, ValueError, OverflowError, UnicodeDecodeError):
        return None


def identify(filename, assignment=None, zone=dt.timezone.utc):
    """What a flat file's name says: dict(student, assignment, copy, timestamp, late_flag, platform),
    or a string saying why the name cannot be read."""
    if not filename.endswith(".ipynb"):
        return "not a notebook"
    stem = filename[:-len(".ipynb")]
    # Canvas first: the rest of a Canvas name after its prefix is the student's own file name, which
    # may imitate another platform's (a Blackboard-looking name there could name another student).
    patterns = [("Canvas", CANVAS), ("Blackboard", BLACKBOARD), ("plain", PLAIN)]
    if assignment:                                   # <student>_<any name>.ipynb, for this assignment
        patterns.append(("renamed", RENAMED))
    for platform, pattern in patterns:
        m = pattern.match(stem)
        if not m:
            continue
        named, copy = assignment_of(m["file"] + ".ipynb")
        found = assignment or named
        if found is None and platform == "plain":
            return f"unknown assignment {m['file']!r}"
        if found is None:
            return (f"the file name {m['file']}.ipynb does not name an assignment (grade the export with "
                    "--assignment to say which)")
        student = m["student"] if STUDENT.match(m["student"]) else slug(m["student"])
        if not student:
            return "no student name in the file name"
        when = None
        if platform == "Blackboard":
            try:
                when = dt.datetime.strptime(m["when"], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=zone)
                when = when.astimezone(dt.timezone.utc)
            except (ValueError, OverflowError):
                return f"the attempt time {m['when']!r} in the name is not a date"
        note = (f"the file name names {named}, but the export is for {assignment}; graded as {assignment}"
                if assignment and named and named != assignment else "")
        return dict(student=student, assignment=found, copy=copy, timestamp=when, note=note,
                    late_flag=bool(m.groupdict().get("late")), platform=platform,
                    identity=m.groupdict().get("identity") or "")
    return ("name is not <student>_<assignment>.ipynb (nor a Canvas, Blackboard or Moodle export name; "
            "grade the export with --assignment if the files do not name the assignment)")


def unpack(source, report, zone=dt.timezone.utc):
    """A zip's members in a fresh folder, modification times kept, unsafe paths refused.

    A zip stores times without a zone (the packing machine's clock): they are read in `zone`,
    the schedule's, never in the zone of the machine that grades."""
    from .grading import MAX_BYTES

    tmp = Path(tempfile.mkdtemp(prefix="submissions-"))
    report.unpacked.append(tmp)                               # the grader removes it when done
    # A zip's sizes are what it claims; extraction below stops at them (zipfile checks), so a member
    # larger than a notebook may be, or more than the disk can spare, is never written.
    room = shutil.disk_usage(tmp).free - 2**30
    with zipfile.ZipFile(source) as z:
        for info in z.infolist():
            if info.file_size > MAX_BYTES and not info.is_dir():
                report.problems.append(f"{Path(source).name}: {shown(info.filename)} is {info.file_size / 2**20:.0f} MB "
                                       f"unpacked (a notebook may be {MAX_BYTES / 2**20:.0f} MB); not graded")
                continue
            room -= info.file_size
            if room < 0:
                report.problems.append(f"{Path(source).name}: unpacking {shown(info.filename)} and the rest would "
                                       "fill the disk; not graded")
                break
            parts = Path(info.filename).parts
            if info.filename.startswith("/") or ".." in parts:
                report.problems.append(f"{Path(source).name}: skipped unsafe path {shown(info.filename)!r} in the zip")
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:       # a symbolic link stored in the zip
                report.problems.append(f"{Path(source).name}: {shown(info.filename)} is a link; not graded")
                continue
            try:
                target = z.extract(info, tmp)
                if not info.is_dir():
                    stamp = dt.datetime(*info.date_time, tzinfo=zone).timestamp()
                    os.utime(target, (stamp, stamp))
            except (OSError, ValueError, OverflowError) as exc:      # e.g. a file and a folder of one name
                report.problems.append(f"{Path(source).name}: could not unpack {shown(info.filename)} "
                                       f"({type(exc).__name__}); not graded")
    return tmp


def collect(source, report, assignment=None, zone=dt.timezone.utc):
    """The submissions to grade in `source` (folder or zip), one per student and assignment.
    Everything refused or ignored becomes a line of `report.problems`."""
    source = Path(source)
    if source.is_file() and zipfile.is_zipfile(source):
        source = unpack(source, report, zone)
    if not source.is_dir():
        raise FileNotFoundError(f"no submissions folder or zip at {source}")
    found = []

    def flat(entry, where, student=None, identity=""):
        where = shown(where)
        if entry.is_symlink():
            report.problems.append(f"{where}: a link, not a file; not graded")
            return
        if student is not None:                                # Moodle: the folder names the student
            named, copy = assignment_of(entry.name)
            what = assignment or named
            if what is None:
                report.problems.append(f"{where}: does not name an assignment (grade the export with "
                                       "--assignment to say which); not graded")
                return
            found.append(Submission(student, what, entry, copy=copy, timestamp=file_time(entry), identity=identity))
            return
        what = identify(entry.name, assignment, zone)
        if isinstance(what, str):
            report.problems.append(f"{where}: {what}; not graded")
            return
        if what["assignment"] not in ASSIGNMENTS:
            report.problems.append(f"{where}: unknown assignment {what['assignment']!r}; not graded")
            return
        found.append(Submission(what["student"], what["assignment"], entry, what["note"], copy=what["copy"],
                                timestamp=what["timestamp"] or file_time(entry), late_flag=what["late_flag"],
                                identity=what["identity"]))

    for entry in sorted(source.iterdir()):
        try:
            _entry(entry, flat, found, report, zone)
        except Exception as exc:     # one unreadable entry costs that entry, not the class
            report.problems.append(f"{shown(entry.name)}: could not be read ({type(exc).__name__}: "
                                   f"{shown(str(exc))}); not graded")
    return latest(found, report)


def _entry(entry, flat, found, report, zone):
    """One entry of the submissions folder: a flat notebook, a Moodle folder or a student's folder."""
    if entry.name.startswith(".") or entry.name == "__MACOSX":
        return
    if entry.is_symlink():    # a link could point at anything the grader can read (a solution...)
        report.problems.append(f"{shown(entry.name)}: a link, not a file or folder; not graded")
    elif entry.is_file():
        if entry.suffix == ".ipynb":
            flat(entry, entry.name)
    elif entry.is_dir():
        moodle = MOODLE_FOLDER.match(entry.name)
        if moodle:
            student = slug(moodle["student"])
            for f in sorted(entry.iterdir()):
                if f.suffix == ".ipynb":
                    flat(f, f"{entry.name}/{f.name}", student=student, identity=moodle["identity"])
            return
        if not STUDENT.match(entry.name):
            report.problems.append(f"{shown(entry.name)}/: not a student folder; not graded")
            return
        for adir in sorted(p for p in entry.iterdir() if not p.name.startswith(".")):
            try:
                _student_folder(entry, adir, found, report, zone)
            except Exception as exc:
                report.problems.append(f"{shown(entry.name)}/{shown(adir.name)}: could not be read "
                                       f"({type(exc).__name__}: {shown(str(exc))}); not graded")


def _student_folder(entry, adir, found, report, zone):
    """nbgrader's layout: <student>/<assignment>/<notebook>.ipynb."""
    where = shown(f"{entry.name}/{adir.name}")
    if adir.is_symlink():
        report.problems.append(f"{where}: a link, not a folder; not graded")
        return
    if not adir.is_dir():
        return
    if adir.name not in ASSIGNMENTS:
        report.problems.append(f"{where}: unknown assignment; not graded")
        return
    links = sorted(p.name for p in adir.glob("*.ipynb") if p.is_symlink())
    if links:
        report.problems.append(f"{where}: {', '.join(map(shown, links))} is a link, not a file; not graded")
    notebooks = sorted(p for p in adir.glob("*.ipynb") if not p.is_symlink())
    named = adir / f"{adir.name}.ipynb"
    stamp = adir / "timestamp.txt"
    when = read_timestamp(stamp, zone) if stamp.is_file() and not stamp.is_symlink() else None
    if when is None and stamp.is_file() and not stamp.is_symlink():
        report.problems.append(f"{where}: timestamp.txt is not a time that can be read; the notebook's file "
                               "time is used instead")
    if named in notebooks:
        found.append(Submission(entry.name, adir.name, named, timestamp=when or file_time(named)))
        if len(notebooks) > 1:
            report.problems.append(f"{where}: graded {named.name}; ignored "
                                   + ", ".join(shown(p.name) for p in notebooks if p != named))
    elif len(notebooks) == 1:
        found.append(Submission(entry.name, adir.name, notebooks[0],
                                f"notebook renamed to {shown(notebooks[0].name)}; graded as {adir.name}.ipynb",
                                timestamp=when or file_time(notebooks[0])))
    else:       # a submission that holds nothing gradable: it scores 0 (grading.read_submission says why)
        what = ("no notebook" if not notebooks else f"{len(notebooks)} notebooks, none named {adir.name}.ipynb")
        found.append(Submission(entry.name, adir.name, None, what, timestamp=when))


def latest(found, report):
    """One submission per student and assignment: the latest copy (time, then copy number)."""
    people = {}
    for sub in found:
        people.setdefault((sub.student, sub.assignment), set()).add(sub.identity)
    for (student, a), ids in people.items():
        if len(ids - {""}) > 1:            # namesakes: two people the platform tells apart by id
            report.problems.append(f"{student}/{a}: {len(ids - {''})} different people share this name "
                                   f"(platform ids {', '.join(sorted(ids - {''}))}); graded as "
                                   + ", ".join(f"{student}-{i}" for i in sorted(ids - {""})))
            for sub in found:
                if sub.student == student and sub.assignment == a and sub.identity:
                    sub.student = f"{student}-{sub.identity}"
    groups = {}
    for sub in found:
        groups.setdefault((sub.student, sub.assignment), []).append(sub)
    chosen = []
    for (student, a), subs in groups.items():
        subs.sort(key=lambda s: (s.path is not None, s.timestamp or dt.datetime.min.replace(tzinfo=dt.timezone.utc),
                                 s.copy))
        best = subs[-1]
        if len(subs) > 1:
            report.problems.append(f"{student}/{a}: {len(subs)} copies; graded the latest, {_name(best)}"
                                   f" ({_when(best)}); ignored " + ", ".join(f"{_name(s)} ({_when(s)})"
                                                                            for s in subs[:-1]))
        chosen.append(best)
    return sorted(chosen, key=lambda s: (s.student, s.assignment))


def _name(sub):
    if sub.path is None:
        return "an empty folder"
    parent = sub.path.parent.name
    return shown(f"{parent}/{sub.path.name}" if MOODLE_FOLDER.match(parent) else sub.path.name)


def _when(sub):
    return sub.timestamp.strftime("%Y-%m-%d %H:%M UTC") if sub.timestamp else "no time"
