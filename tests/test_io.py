from __future__ import annotations

import doctest
import os
import stat

import pytest

import qcnn_tl._io
from qcnn_tl._io import check_writable, read_json_object
from qcnn_tl.errors import QcnnTlError


class TestCheckWritable:
    def test_creates_missing_folders(self, tmp_path):
        assert check_writable(tmp_path / "a" / "b" / "x.json", "--out") == tmp_path / "a" / "b" / "x.json"
        assert (tmp_path / "a" / "b").is_dir() and not (tmp_path / "a" / "b" / "x.json").exists()
        check_writable(tmp_path / "c" / "d", "--out", folder=True)
        assert (tmp_path / "c" / "d").is_dir()
        assert list((tmp_path / "c" / "d").iterdir()) == []  # the probe is gone

    def test_under_a_file(self, tmp_path):
        (tmp_path / "f").write_text("")
        with pytest.raises(ValueError, match=r"^--out .*f/x: .*f is a file, not a folder$"):
            check_writable(tmp_path / "f" / "x", "--out")
        with pytest.raises(ValueError, match=r"^--out .*y\.png: cannot create the folder .*f/x \(Not a directory\)$"):
            check_writable(tmp_path / "f" / "x" / "y.png", "--out")
        with pytest.raises(ValueError, match=r"^DIRECTORY .*/f: .*f is a file, not a folder$"):
            check_writable(tmp_path / "f", "DIRECTORY", folder=True)

    def test_a_folder_where_a_file_is_expected(self, tmp_path):
        with pytest.raises(ValueError, match=r"is a folder; expected a file path"):
            check_writable(tmp_path, "--out")

    def test_proc(self):
        with pytest.raises(ValueError, match=r"^--out /proc/qcnn_tl: cannot create the folder /proc/qcnn_tl"):
            check_writable("/proc/qcnn_tl", "--out", folder=True)
        with pytest.raises(ValueError, match=r"^--out /proc/self/out\.pt: cannot write into /proc/self"):
            check_writable("/proc/self/out.pt", "--out")

    @pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
    def test_read_only_folder(self, tmp_path):
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            with pytest.raises(ValueError, match=r"cannot write into .*ro \(Permission denied\)"):
                check_writable(folder / "x.json", "--out")
        finally:
            folder.chmod(stat.S_IRWXU)

    def test_doctest(self):
        assert doctest.testmod(qcnn_tl._io).failed == 0


class TestReadJsonObject:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", r"x\.json should hold a run result \(a JSON object\); it is empty$"),
            ("  \n", r"it is empty$"),
            ("[1, 2]", r"x\.json should hold a run result \(a JSON object\); it holds a JSON array$"),
            ("3", r"it holds a JSON number$"),
            ("{", r"x\.json should hold a run result; it is not valid JSON \(Expecting"),
        ],
    )
    def test_not_an_object(self, tmp_path, text, message):
        (tmp_path / "x.json").write_text(text)
        with pytest.raises(QcnnTlError, match=message):
            read_json_object(tmp_path / "x.json", "a run result")

    def test_missing_or_unreadable(self, tmp_path):
        with pytest.raises(QcnnTlError, match=r"y\.json: cannot read a run result \(.*No such file"):
            read_json_object(tmp_path / "y.json", "a run result")
        (tmp_path / "b.json").write_bytes(b"\xff\xfe")
        with pytest.raises(QcnnTlError, match=r"b\.json: cannot read a run result"):
            read_json_object(tmp_path / "b.json", "a run result")

    def test_object(self, tmp_path):
        (tmp_path / "x.json").write_text('{"a": 1}')
        assert read_json_object(tmp_path / "x.json", "a run result") == {"a": 1}
