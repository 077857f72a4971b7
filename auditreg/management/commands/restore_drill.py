"""Restore drill (the report's 意見19: a recovery drill must really restore, not just read a manual).

Backs up the database (pg_dump for PostgreSQL, the SQLite backup API for SQLite) and the stored
files (evidence, publications), restores both into a scratch database and folder, then compares
every table's row count and content checksum and every file's SHA-256. Exits non-zero on any
difference. The scratch copies are removed afterwards unless --keep is given."""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from findings.models import EvidenceFile, PublicationFile


def _file_hashes(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _table_digests(conn) -> dict[str, tuple[int, str]]:
    out = {}
    with conn.cursor() as cursor:
        for table in sorted(conn.introspection.table_names(cursor)):
            columns = [c.name for c in conn.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(conn.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {conn.ops.quote_name(table)} ORDER BY {quoted}")  # noqa: S608
            digest = hashlib.sha256()
            n = 0
            for row in cursor.fetchall():
                digest.update(repr(tuple(row)).encode())
                n += 1
            out[table] = (n, digest.hexdigest())
    return out


def compare_tables(source: dict, copy: dict) -> list[str]:
    return [
        f"表 {t}: 元 {source.get(t)} / 復元 {copy.get(t)}"
        for t in sorted(set(source) | set(copy))
        if source.get(t) != copy.get(t)
    ]


def compare_files(roots: dict[str, Path], restored_roots: dict[str, Path]) -> tuple[int, list[str]]:
    count, problems = 0, []
    for name, root in roots.items():
        original, restored = _file_hashes(root), _file_hashes(restored_roots[name])
        count += len(original)
        problems += [
            f"ファイル {name}/{path}: ハッシュが一致しません"
            for path in sorted(set(original) | set(restored))
            if original.get(path) != restored.get(path)
        ]
    return count, problems


class Command(BaseCommand):
    help = "バックアップを作業用の DB とフォルダに復元し、全表の件数・チェックサムと全ファイルのハッシュを照合します。"

    def add_arguments(self, parser):
        parser.add_argument("--backup-dir", default=None, help="バックアップの置き場所（既定: 一時フォルダ）")
        parser.add_argument("--keep", action="store_true", help="作業用の復元先を消さずに残す")

    def handle(self, *args, backup_dir, keep, **options):
        started = time.perf_counter()
        work = Path(backup_dir or tempfile.mkdtemp(prefix="auditreg-drill-"))
        work.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
        vendor = connection.vendor
        roots = {
            "evidence": Path(settings.STORAGES["evidence"]["OPTIONS"]["location"]),
            "publications": Path(settings.STORAGES["publications"]["OPTIONS"]["location"]),
        }
        figures = {"database": vendor, "backup_dir": str(work)}

        # 1. backup
        t = time.perf_counter()
        dump, archives = self._backup(work, stamp, vendor, roots)
        figures["backup_seconds"] = round(time.perf_counter() - t, 2)
        figures["database_backup_bytes"] = dump.stat().st_size
        figures["file_backup_bytes"] = sum(a.stat().st_size for a in archives.values() if a)

        # 2. restore into scratch
        t = time.perf_counter()
        alias = "restore_drill"
        scratch_db, restored_roots = self._restore(work, stamp, vendor, dump, archives, alias)
        figures["restore_seconds"] = round(time.perf_counter() - t, 2)

        # 3. verify
        t = time.perf_counter()
        try:
            source = _table_digests(connection)
            problems = compare_tables(source, _table_digests(connections[alias]))
        finally:
            connections[alias].close()
        file_count, file_problems = compare_files(roots, restored_roots)
        problems += file_problems
        problems += self._recorded_hashes(restored_roots)
        figures.update(
            tables=len(source),
            rows=sum(n for n, _ in source.values()),
            files=file_count,
            verify_seconds=round(time.perf_counter() - t, 2),
            total_seconds=round(time.perf_counter() - started, 2),
            problems=len(problems),
        )

        # 4. clean up
        if not keep:
            if scratch_db:
                self._run(
                    ["dropdb", *self._pg_args(dict(connection.settings_dict, NAME="postgres"), name=False), scratch_db],
                    connection.settings_dict,
                )
            if backup_dir is None:
                shutil.rmtree(work, ignore_errors=True)
        for p in problems:
            self.stderr.write(f"不一致: {p}")
        self.stdout.write(json.dumps(figures, ensure_ascii=False))
        if problems:
            raise CommandError(f"復元の照合で {len(problems)} 件の不一致がありました。")
        counts = f"{figures['tables']} 表・{figures['rows']} 行・{figures['files']} ファイル"
        self.stdout.write(self.style.SUCCESS(f"復元訓練: {counts}、すべて一致しました。"))

    def _backup(self, work: Path, stamp: str, vendor: str, roots: dict) -> tuple[Path, dict]:
        """The database dump and one archive per file store (None for a store that does not exist)."""
        if vendor == "postgresql":
            dump = work / f"db-{stamp}.dump"
            self._run(
                ["pg_dump", "-Fc", "-f", str(dump), *self._pg_args(connection.settings_dict)], connection.settings_dict
            )
        elif vendor == "sqlite":
            dump = work / f"db-{stamp}.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(dump)
            connection.connection.backup(target)
            target.close()
        else:
            raise CommandError(f"{vendor} には対応していません。")
        archives = {}
        for name, root in roots.items():
            base = work / f"{name}-{stamp}"
            archives[name] = Path(shutil.make_archive(str(base), "gztar", root_dir=root)) if root.exists() else None
        return dump, archives

    def _restore(self, work: Path, stamp: str, vendor: str, dump: Path, archives: dict, alias: str):
        """The dump restored into a scratch database (reachable as `alias`) and the archives into scratch
        folders: (the scratch PostgreSQL database or None, {store: restored folder})."""
        scratch_db = None
        if vendor == "postgresql":
            scratch_db = f"{connection.settings_dict['NAME']}_drill_{stamp}"
            admin_db = dict(connection.settings_dict, NAME="postgres")
            self._run(
                ["createdb", "-T", "template0", "-E", "UTF8", *self._pg_args(admin_db, name=False), scratch_db],
                admin_db,
            )
            self._run(
                ["pg_restore", "--no-owner", "-d", scratch_db, *self._pg_args(admin_db, name=False), str(dump)],
                admin_db,
            )
            connections.settings[alias] = dict(connection.settings_dict, NAME=scratch_db)
        else:
            restored = work / f"restored-{stamp}.sqlite3"
            shutil.copyfile(dump, restored)
            connections.settings[alias] = dict(connection.settings_dict, NAME=str(restored))
        restored_roots = {}
        for name, archive in archives.items():
            dest = work / f"restored-{name}-{stamp}"
            dest.mkdir()
            if archive:
                shutil.unpack_archive(archive, dest, filter="data")
            restored_roots[name] = dest
        return scratch_db, restored_roots

    def _recorded_hashes(self, restored_roots) -> list[str]:
        """Each evidence/publication file restored must still match the SHA-256 recorded in the database."""

        problems = []
        for model, root in (
            (EvidenceFile, restored_roots["evidence"]),
            (PublicationFile, restored_roots["publications"]),
        ):
            for name, sha in model.objects.values_list("file", "sha256"):
                path = root / name
                if not path.exists():
                    problems.append(f"{model.__name__} {name}: 復元したフォルダにありません")
                elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                    problems.append(f"{model.__name__} {name}: 記録された SHA-256 と一致しません")
        return problems

    @staticmethod
    def _pg_args(s, *, name=True):
        args = []
        if s.get("HOST"):
            args += ["-h", s["HOST"]]
        if s.get("PORT"):
            args += ["-p", str(s["PORT"])]
        if s.get("USER"):
            args += ["-U", s["USER"]]
        if name:
            args += [s["NAME"]]
        return args

    @staticmethod
    def _run(cmd, s):

        env = dict(os.environ)
        if s.get("PASSWORD"):
            env["PGPASSWORD"] = s["PASSWORD"]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise CommandError(f"{cmd[0]} が失敗しました: {result.stderr.strip()}")
