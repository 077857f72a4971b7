"""Tagged PDFs (WeasyPrint's PDF/UA-1 output) joined into one, structure tree and all.

A long 措置状況 is laid out in parts (findings.reports.render_pdf): WeasyPrint keeps every laid-out
box of a document until it is written, so memory grew with the whole report (1.3 GB at 3,000 rows).
Each part is a complete tagged PDF; here their pages are copied in order, their structure elements
are hung under one /Document element, the parent tree is renumbered page by page, and the bookmarks
are rebuilt from the levels WeasyPrint gave them. The catalog keeps what PDF/UA asks for (/Lang,
/MarkInfo, /ViewerPreferences, the first part's XMP metadata).
"""

import io
import zlib

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    Fit,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)


def join(parts: list[bytes], bookmarks: list[list[tuple[int, str, int, float, float]]], *, producer: str) -> bytes:
    """`parts`: the PDFs in order; `bookmarks`: per part, (level, label, page in the part, x, y in CSS px
    from the page's top left) as WeasyPrint's pages list them."""
    writer = PdfWriter()
    document = DictionaryObject(
        {NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject("/Document")}
    )
    document_ref = writer._add_object(document)
    kids, nums = ArrayObject(), ArrayObject()
    tree = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/StructTreeRoot"),
            NameObject("/K"): ArrayObject([document_ref]),
            NameObject("/ParentTree"): DictionaryObject({NameObject("/Nums"): nums}),
        }
    )
    tree_ref = writer._add_object(tree)
    document[NameObject("/P")] = tree_ref
    document[NameObject("/K")] = kids
    first = True
    outline: list = []  # (level, outline item) of the open bookmarks, outermost first
    offset = 0
    for part, marks in zip(parts, bookmarks, strict=True):
        reader = PdfReader(io.BytesIO(part))
        root = reader.trailer["/Root"]
        if first:
            first = False
            writer.pdf_header = reader.pdf_header
            for key in ("/Lang", "/ViewerPreferences", "/MarkInfo"):
                if key in root:
                    writer._root_object[NameObject(key)] = root[key].clone(writer)
            if "/Metadata" in root:
                writer._root_object[NameObject("/Metadata")] = (
                    root.raw_get("/Metadata").clone(writer).indirect_reference
                )
            title = (reader.metadata or {}).get("/Title")
        pages = [writer.add_page(page) for page in reader.pages]
        # the part's tree root and /Document element stand for the joined ones: copying the part's
        # elements then links every /P that pointed to them to the joined tree
        old_tree = root.raw_get("/StructTreeRoot")
        old_document = old_tree.get_object().raw_get("/K")[0]
        translated = writer._id_translated.setdefault(id(reader), {"PreventGC": reader})
        translated[old_tree.idnum] = tree_ref.idnum
        translated[old_document.idnum] = document_ref.idnum
        for kid in old_document.get_object()["/K"]:
            kids.append(kid.clone(writer))
        old_nums = root["/StructTreeRoot"]["/ParentTree"]["/Nums"]
        for i in range(0, len(old_nums), 2):
            key = int(old_nums[i])
            if key >= len(pages):
                raise ValueError("links and other annotations are not joined")  # the report prints none
            nums.append(NumberObject(offset + key))
            nums.append(old_nums[i + 1].clone(writer))
        for k, page in enumerate(pages):
            page[NameObject("/StructParents")] = NumberObject(offset + k)
        for level, label, k, x, y in marks:
            while outline and outline[-1][0] >= level:
                outline.pop()
            page = pages[k]
            top = float(page.mediabox.height) - y * 0.75
            item = writer.add_outline_item(
                title=label,
                page_number=offset + k,
                parent=outline[-1][1] if outline else None,
                fit=Fit.xyz(x * 0.75, top, 0),
            )
            outline.append((level, item))
        offset += len(pages)
        # the part is copied: let its reader (and every object it parsed) go
        del writer._id_translated[id(reader)]
        del reader, root
    tree[NameObject("/ParentTreeNextKey")] = NumberObject(offset)
    writer._root_object[NameObject("/StructTreeRoot")] = tree_ref
    writer._root_object.setdefault(
        NameObject("/MarkInfo"), DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
    )
    info = {"/Producer": producer, "/Creator": producer}
    if title:
        info["/Title"] = TextStringObject(title)
    writer.add_metadata(info)
    return _write_compact(writer)


def _write_compact(writer: PdfWriter, per_stream: int = 200) -> bytes:
    """The writer's objects as WeasyPrint writes them: streams as they are, every other object packed in
    compressed object streams, a compressed cross-reference stream (pypdf writes each object plain: the
    structure tree of a 3,000-row report alone would triple the file)."""
    out = io.BytesIO()
    out.write(f"{writer.pdf_header}\n%\xe2\xe3\xcf\xd3\n".encode("latin-1"))
    objects = writer._objects
    n = len(objects)
    entries: dict[int, tuple[int, int, int]] = {}  # object number: (type, field 2, field 3) of the xref

    def serialize(obj) -> bytes:
        buf = io.BytesIO()
        obj.write_to_stream(buf)
        return buf.getvalue()

    def indirect(number: int, data: bytes):
        entries[number] = (1, out.tell(), 0)
        out.write(b"%d 0 obj\n" % number + data + b"\nendobj\n")

    packed: list[tuple[int, bytes]] = []
    for i, obj in enumerate(objects, start=1):
        if obj is None:
            continue
        if isinstance(obj, StreamObject):
            indirect(i, serialize(obj))
        else:
            packed.append((i, serialize(obj)))
    number = n
    for start in range(0, len(packed), per_stream):
        group = packed[start : start + per_stream]
        number += 1
        offsets, body, pos = [], io.BytesIO(), 0
        for k, (i, data) in enumerate(group):
            offsets.append(b"%d %d" % (i, pos))
            body.write(data + b"\n")
            pos += len(data) + 1
            entries[i] = (2, number, k)
        head = b" ".join(offsets) + b"\n"
        data = zlib.compress(head + body.getvalue())
        indirect(
            number,
            b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(group), len(head), len(data))
            + data
            + b"\nendstream",
        )
    number += 1  # the cross-reference stream itself
    entries[number] = (1, out.tell(), 0)
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    for i in range(1, number + 1):
        kind, a, b = entries.get(i, (0, 0, 0))
        rows.append(bytes([kind]) + a.to_bytes(4, "big") + b.to_bytes(2, "big"))
    data = zlib.compress(b"".join(rows))
    trailer = b"/Root %s /Info %s" % (
        serialize(writer._root_object.indirect_reference),
        serialize(writer._info.indirect_reference),
    )
    out.write(
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] %s /Filter /FlateDecode /Length %d >>\nstream\n"
        % (number, number + 1, trailer, len(data))
        + data
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % entries[number][1]
    )
    return out.getvalue()
