"""Tagged PDFs (WeasyPrint's PDF/UA-1 output) joined into one, structure tree and all.

A long 措置状況 is laid out in parts (findings.renderers.render_pdf): WeasyPrint keeps every laid-out
box of a document until it is written, so memory grew with the whole report (1.3 GB at 3,000 rows).
Each part is a complete tagged PDF. Here the parts are read one at a time and their objects copied,
renumbered, into the joined file as it is written (a part's objects are let go before the next is
read, so memory stays that of one part): the pages go under one page tree, the structure elements
under one /Document element, the parent tree is renumbered page by page, and the bookmarks are
rebuilt from the levels WeasyPrint gave them. The catalog keeps what PDF/UA asks for (/Lang,
/MarkInfo, /ViewerPreferences, the first part's XMP metadata). Objects other than streams are packed
in compressed object streams, as WeasyPrint writes them.
"""

import gc
import io
import zlib

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

PER_OBJECT_STREAM = 200


class _Output:
    """The joined file as it is written: numbered objects, all but streams packed in object streams."""

    def __init__(self, header: str):
        self.buf = io.BytesIO()
        self.buf.write(header.encode("latin-1") + b"\n%\xe2\xe3\xcf\xd3\n")
        self.entries: dict[int, tuple[int, int, int]] = {}  # number: the xref entry (type, field 2, field 3)
        self.last = 0
        self.pending: list[tuple[int, bytes]] = []

    def number(self) -> int:
        self.last += 1
        return self.last

    def put(self, number: int, data: bytes) -> None:
        self.pending.append((number, data))
        if len(self.pending) >= PER_OBJECT_STREAM:
            self.flush()

    def put_stream(self, number: int, head: bytes, data: bytes) -> None:
        self.entries[number] = (1, self.buf.tell(), 0)
        self.buf.write(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (number, head, data))

    def flush(self) -> None:
        if not self.pending:
            return
        number = self.number()
        offsets, body, pos = [], [], 0
        for k, (i, data) in enumerate(self.pending):
            offsets.append(b"%d %d" % (i, pos))
            body.append(data + b"\n")
            pos += len(data) + 1
            self.entries[i] = (2, number, k)
        head = b" ".join(offsets) + b"\n"
        data = zlib.compress(head + b"".join(body))
        self.put_stream(
            number,
            b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>" % (len(body), len(head), len(data)),
            data,
        )
        self.pending = []

    def finish(self, root: int, info: int) -> bytes:
        self.flush()
        number = self.number()  # the cross-reference stream
        self.entries[number] = (1, self.buf.tell(), 0)
        rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
        for i in range(1, number + 1):
            kind, a, b = self.entries.get(i, (0, 0, 0))
            rows.append(bytes([kind]) + a.to_bytes(4, "big") + b.to_bytes(2, "big"))
        data = zlib.compress(b"".join(rows))
        self.buf.write(
            b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Info %d 0 R /Filter /FlateDecode"
            b" /Length %d >>\nstream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
            % (number, number + 1, root, info, len(data), data, self.entries[number][1])
        )
        return self.buf.getvalue()


def _write(obj, out: io.BytesIO, ref) -> None:
    """A direct object as PDF, its indirect references renumbered by `ref` (old number → new)."""
    if isinstance(obj, IndirectObject):
        out.write(b"%d 0 R" % ref(obj.idnum))
    elif isinstance(obj, DictionaryObject):
        out.write(b"<<")
        for key, value in dict.items(obj):
            out.write(b" ")
            key.write_to_stream(out)
            out.write(b" ")
            _write(value, out, ref)
        out.write(b" >>")
    elif isinstance(obj, ArrayObject):
        out.write(b"[")
        for value in list.__iter__(obj):
            out.write(b" ")
            _write(value, out, ref)
        out.write(b" ]")
    else:
        obj.write_to_stream(out)


def _bytes(obj, ref=None) -> bytes:
    out = io.BytesIO()
    _write(obj, out, ref or (lambda n: n))
    return out.getvalue()


def _outline_ids(root) -> set[int]:
    found = set()
    todo = [root.raw_get("/Outlines")] if "/Outlines" in root else []
    while todo:
        node = todo.pop()
        if isinstance(node, IndirectObject) and node.idnum not in found:
            found.add(node.idnum)
            item = node.get_object()
            todo += [item.raw_get(k) for k in ("/First", "/Next") if k in item]
    return found


def _skipped(reader: PdfReader, root, tree, replaced: set, first: bool) -> set:
    """The part's objects the joined file does not copy: those it replaces, the bookmarks (rebuilt), the
    info, parent tree, id tree and names, and every part's metadata but the first's."""
    skip = replaced | _outline_ids(root)
    for owner, key in [(reader.trailer, "/Info"), (tree, "/ParentTree"), (tree, "/IDTree"), (root, "/Names")]:
        if isinstance(dict.get(owner, key), IndirectObject):
            skip.add(owner.raw_get(key).idnum)
    if not first and isinstance(dict.get(root, "/Metadata"), IndirectObject):
        skip.add(root.raw_get("/Metadata").idnum)
    return skip


class _Joined:
    """What the parts add up to: their pages, top-level structure elements, parent tree and bookmarks."""

    def __init__(self, header: str):
        self.out = _Output(header)
        self.catalog, self.pages, self.tree, self.document = (self.out.number() for _ in range(4))
        self.page_numbers: list[int] = []
        self.page_heights: list[float] = []
        self.kids: list[int] = []
        self.nums: list[bytes] = []
        self.marks: list[tuple[int, str, int, float, float]] = []
        self.catalog_extra = b""
        self.title = None

    def add(self, reader: PdfReader, first: bool, marks) -> None:
        root = reader.trailer["/Root"]
        if first:
            self._take_catalog(reader, root)
        tree = root["/StructTreeRoot"]
        document = tree.raw_get("/K")[0]
        pages_root = root.raw_get("/Pages").idnum
        mapping = {  # the part's own catalog, page tree, tree root and /Document stand for the joined ones
            reader.trailer.raw_get("/Root").idnum: self.catalog,
            pages_root: self.pages,
            root.raw_get("/StructTreeRoot").idnum: self.tree,
            document.idnum: self.document,
        }
        skip = _skipped(reader, root, tree, set(mapping), first)

        def ref(old: int) -> int:
            new = mapping.get(old)
            if new is None:
                new = mapping[old] = self.out.number()
            return new

        if first and "/Metadata" in root:
            self.catalog_extra += b" /Metadata %d 0 R" % ref(root.raw_get("/Metadata").idnum)
        offset = len(self.page_numbers)
        local = self._add_pages(reader.pages, pages_root, ref)
        self.kids += [ref(kid.idnum) for kid in list.__iter__(document.get_object()["/K"])]
        self._add_parent_tree(tree, len(local), offset, ref)
        self._copy_objects(reader, skip, local, offset, ref)
        self.marks += [(level, label, offset + k, x, y) for level, label, k, x, y in marks]

    def add_written(self, part) -> None:
        """A part that writes its own objects (findings.pdf_direct.TablePages): no PDF to read back."""
        offset = len(self.page_numbers)
        page_numbers, kids, nums = part.emit(self.out, pages_root=self.pages, document=self.document, first_key=offset)
        self.page_numbers += page_numbers
        self.page_heights += [part.page_height] * len(page_numbers)
        self.kids += kids
        self.nums += nums

    def _take_catalog(self, reader: PdfReader, root) -> None:
        """The first part's language, viewer preferences, tagging mark and title serve the whole file."""
        for key in ("/Lang", "/ViewerPreferences", "/MarkInfo"):
            if key in root:
                self.catalog_extra += b" %s %s" % (key.encode(), _bytes(root[key]))
        self.title = (reader.metadata or {}).get("/Title")

    def _add_pages(self, pages, pages_root: int, ref) -> set:
        for page in pages:
            if page.raw_get("/Parent").idnum != pages_root:
                raise ValueError("a nested page tree is not joined")  # WeasyPrint writes a flat one
            self.page_numbers.append(ref(page.indirect_reference.idnum))
            self.page_heights.append(float(page.mediabox.height))
        return {page.indirect_reference.idnum for page in pages}

    def _add_parent_tree(self, tree, n_pages: int, offset: int, ref) -> None:
        old_nums = tree["/ParentTree"]["/Nums"]
        for i in range(0, len(old_nums), 2):
            key = int(old_nums[i])
            if key >= n_pages:
                raise ValueError("links and other annotations are not joined")  # the report prints none
            self.nums.append(b"%d %s" % (offset + key, _bytes(old_nums[i + 1], ref)))

    def _copy_objects(self, reader: PdfReader, skip: set, local: set, offset: int, ref) -> None:
        """Every object of the part but those the joined file replaces, renumbered; its pages' parent
        tree keys moved on by `offset`."""
        for old in sorted(set(reader.xref.get(0, {})) | set(reader.xref_objStm)):
            if old in skip:
                continue
            obj = reader.get_object(old)
            if isinstance(obj, DictionaryObject) and obj.get("/Type") in ("/ObjStm", "/XRef"):
                continue
            if old in local and "/StructParents" in obj:
                obj = DictionaryObject(obj)
                obj[NameObject("/StructParents")] = NumberObject(offset + int(obj["/StructParents"]))
            if isinstance(obj, StreamObject):
                head = DictionaryObject(obj)
                head[NameObject("/Length")] = NumberObject(len(obj._data))
                self.out.put_stream(ref(old), _bytes(head, ref), obj._data)
            else:
                self.out.put(ref(old), _bytes(obj, ref))

    def finish(self, producer: str) -> bytes:
        out = self.out
        outline = _write_outline(out, self.marks, self.page_numbers, self.page_heights)
        n = len(self.page_numbers)
        out.put(self.pages, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (_refs(self.page_numbers), n))
        out.put(
            self.tree,
            b"<< /Type /StructTreeRoot /K [%d 0 R] /ParentTree << /Nums [%s] >> /ParentTreeNextKey %d >>"
            % (self.document, b" ".join(self.nums), n),
        )
        out.put(
            self.document, b"<< /Type /StructElem /S /Document /P %d 0 R /K [%s] >>" % (self.tree, _refs(self.kids))
        )
        outlines = b" /Outlines %d 0 R" % outline if outline else b""
        out.put(
            self.catalog,
            b"<< /Type /Catalog /Pages %d 0 R /StructTreeRoot %d 0 R%s%s >>"
            % (self.pages, self.tree, self.catalog_extra, outlines),
        )
        info = {"/Producer": producer, "/Creator": producer} | ({"/Title": self.title} if self.title else {})
        info_no = out.number()
        out.put(
            info_no,
            b"<<%s >>" % b"".join(b" %s %s" % (k.encode(), _bytes(TextStringObject(v))) for k, v in info.items()),
        )
        return out.finish(self.catalog, info_no)


def join(parts: list, bookmarks: list[list[tuple[int, str, int, float, float]]], *, producer: str) -> bytes:
    """`parts`: the PDFs in order (the first a PDF; a later one may be a part that writes its own objects,
    findings.pdf_direct.TablePages); `bookmarks`: per part, (level, label, page in the part, x, y in CSS px
    from the page's top left) as WeasyPrint's pages list them. Each part's reader is let go once copied."""
    joined = None
    for index, part in enumerate(parts):
        if not isinstance(part, bytes):
            if joined is None:
                raise ValueError("the first part must be a PDF: its catalog serves the whole file")
            joined.add_written(part)
            continue
        reader = PdfReader(io.BytesIO(part))
        if joined is None:
            joined = _Joined(reader.pdf_header)
        joined.add(reader, index == 0, bookmarks[index])
        del reader
        if len(parts) > 2:  # a reader and its objects refer to each other: free them before the next part
            gc.collect()  # (two parts, the halves of a short report, are small: not worth a collection)
    return joined.finish(producer)


def _refs(numbers: list[int]) -> bytes:
    return b" ".join(b"%d 0 R" % n for n in numbers)


def _write_outline(out: _Output, marks, page_numbers, page_heights) -> int:
    """The bookmarks as an outline tree (each level under the last item of the level above); 0 if none."""
    if not marks:
        return 0
    root = {"no": out.number(), "kids": []}
    stack = [(0, root)]
    for level, label, k, x, y in marks:
        while stack[-1][0] >= level:
            stack.pop()
        item = {"no": out.number(), "kids": [], "label": label, "page": k, "x": x, "y": y}
        stack[-1][1]["kids"].append(item)
        stack.append((level, item))

    def count(node) -> int:
        return sum(1 + count(kid) for kid in node["kids"])

    def put(node, parent) -> None:
        kids = node["kids"]
        fields = b""
        if kids:
            fields += b" /First %d 0 R /Last %d 0 R /Count %d" % (kids[0]["no"], kids[-1]["no"], count(node))
        if parent is None:
            out.put(node["no"], b"<< /Type /Outlines%s >>" % fields)
        else:
            siblings = parent["kids"]
            i = siblings.index(node)
            if i:
                fields += b" /Prev %d 0 R" % siblings[i - 1]["no"]
            if i + 1 < len(siblings):
                fields += b" /Next %d 0 R" % siblings[i + 1]["no"]
            k = node["page"]
            top = page_heights[k] - node["y"] * 0.75
            dest = b"[%d 0 R /XYZ %.4f %.4f 0]" % (page_numbers[k], node["x"] * 0.75, top)
            title = _bytes(TextStringObject(node["label"]))
            out.put(node["no"], b"<< /Title %s /Parent %d 0 R /Dest %s%s >>" % (title, parent["no"], dest, fields))
        for kid in kids:
            put(kid, node)

    put(root, None)
    return root["no"]
