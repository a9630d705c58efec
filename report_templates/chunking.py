"""Split the report's rendered HTML into self-contained parts that render in parallel.

The HTML comes from our own templates with every user value autoescaped, so no raw ``<`` or
``>`` appears in text or attribute values and a tag scanner finds every element reliably. The
parts are slices of the original string: nothing is re-serialised (an HTML parser would
lower-case the inline SVG charts' ``viewBox``). A part boundary falls between a top-level
section's children or between the rows of a table that is a direct child of a section; a
table cut across parts repeats its colgroup and header in each.

Parts are balanced by their text length, the best cheap predictor of WeasyPrint's layout
time measured on the report (tags and attributes cost little next to the text's line
breaking), so that the workers finish together.
"""

import html as html_lib
import math
import re
from dataclasses import dataclass, field
from itertools import groupby

_TAG = re.compile(r"<!--.*?-->|<!\w[^>]*>|<(/?)([a-zA-Z][\w:-]*)([^>]*?)(/?)>", re.S)
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_CLASS = re.compile(r"""\bclass\s*=\s*["']([^"']*)["']""")
_ID = re.compile(r"""\bid\s*=\s*["']([^"']*)["']""")
_STRIP_TAGS = re.compile(r"<[^>]*>")


@dataclass
class Node:
    """An element: where its open tag, content and close tag are in the source string."""

    tag: str
    attrs: str
    start: int
    open_end: int
    close_start: int = -1
    end: int = -1
    children: list["Node"] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        """The element's classes."""
        match = _CLASS.search(self.attrs)
        return match.group(1).split() if match else []

    @property
    def id(self) -> str | None:
        """The element's id, if any."""
        match = _ID.search(self.attrs)
        return match.group(1) if match else None

    def find(self, tag: str) -> "Node | None":
        """The first direct child with this tag."""
        return next((c for c in self.children if c.tag == tag), None)


def parse(source: str) -> Node:
    """The element tree of our own (well-formed, escaped) HTML."""
    root = Node("#document", "", 0, 0, len(source), len(source))
    stack = [root]
    for match in _TAG.finditer(source):
        closing, tag, attrs, self_closing = match.groups()
        if tag is None:
            continue  # comment or doctype
        tag = tag.lower()
        if closing:
            # Close up to the matching element (tolerates an omitted end tag such as </li>).
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == tag:
                    for node in stack[depth:]:
                        node.close_start = match.start()
                        node.end = match.end()
                    del stack[depth:]
                    break
            continue
        node = Node(tag, attrs, match.start(), match.end())
        stack[-1].children.append(node)
        if self_closing or tag in _VOID:
            node.close_start = node.end = match.end()
        else:
            stack.append(node)
    for node in stack[1:]:
        node.close_start = node.end = len(source)
    return root


def text_of(source: str, node: Node) -> str:
    """The element's text, tags stripped and entities decoded, whitespace collapsed."""
    inner = source[node.open_end : node.close_start]
    return " ".join(html_lib.unescape(_STRIP_TAGS.sub(" ", inner)).split())


@dataclass(frozen=True)
class Heading:
    """A table-of-contents entry: level 2 or 3, its text and the anchor id."""

    level: int
    text: str
    anchor: str


@dataclass
class Split:
    """The document cut into parts: what every part repeats, the front, and the body parts."""

    head: str  # <head>…</head>
    header: str  # the running header element, repeated in every part
    front: str  # the title page
    parts: list[str]  # the body in order, each a run of whole or continued sections
    weights: list[int]  # each part's text length, a proxy for its layout cost
    headings: list[Heading]


def _body(root: Node) -> tuple[Node, Node]:
    html = root.find("html")
    if html is None or html.find("head") is None or html.find("body") is None:
        raise ValueError("the report HTML has no <html>, <head> or <body>")
    head, body = html.find("head"), html.find("body")
    assert head is not None
    assert body is not None
    return head, body


def add_heading_ids(source: str, root: Node | None = None) -> tuple[str, list[Heading]]:
    """Give every chapter heading an id (kept if it has one); returns the new source and TOC.

    The source comes back unchanged (the same object) when every heading has its id.
    """
    _, body = _body(root or parse(source))
    found: list[tuple[Node, int]] = []
    for section in body.children:
        if "title-page" in section.classes:
            continue
        for child in section.children:
            if child.tag == "h2":
                found.append((child, 2))
            elif child.tag == "h3" and "chapter" in section.classes:
                found.append((child, 3))
            elif child.tag == "div":
                # Narrative blocks wrap their heading in a div (report_templates/sections/).
                found.extend((h, 3) for h in child.children if h.tag == "h3" and h.id)
    headings: list[Heading] = []
    edits: list[tuple[int, str]] = []
    for number, (node, level) in enumerate(found, start=1):
        anchor = node.id
        if anchor is None:
            anchor = f"toc-{number}"
            edits.append(
                (node.open_end - 1 - (1 if source[node.open_end - 2] == "/" else 0), anchor)
            )
        headings.append(Heading(level, text_of(source, node), anchor))
    for offset, anchor in reversed(edits):
        source = f'{source[:offset]} id="{anchor}"{source[offset:]}'
    return source, headings


# report.css: `.annex { break-before: page }`. A part boundary at such a section costs no
# half-empty page, so the splitter prefers it when it is near the balanced cut.
PAGE_SECTION_CLASS = "annex"


@dataclass(frozen=True)
class _Atom:
    """The smallest slice a part boundary may not cross: a section's child or a table row."""

    section: Node | None  # the top-level element it belongs to; None: it is one itself
    first: bool  # the section's first atom (the part opens the section with its own tag)
    start: int
    end: int
    table: Node | None  # for a table row: its table
    weight: int


def _text_length(source: str, start: int, end: int) -> int:
    return len(_STRIP_TAGS.sub("", source[start:end]))


def _atoms(source: str, section: Node) -> list[_Atom]:
    """A top-level element as atoms: whole when it has no children, else children and rows."""
    if not section.children:
        weight = _text_length(source, section.start, section.end)
        return [_Atom(None, True, section.start, section.end, None, weight)]
    atoms: list[_Atom] = []
    for child in section.children:
        tbody = child.find("tbody") if child.tag == "table" else None
        rows = [r for r in tbody.children if r.tag == "tr"] if tbody else []
        if len(rows) < 2:
            weight = _text_length(source, child.start, child.end)
            atoms.append(_Atom(section, not atoms, child.start, child.end, None, weight))
            continue
        for row in rows:
            weight = _text_length(source, row.start, row.end)
            atoms.append(_Atom(section, not atoms, row.start, row.end, child, weight))
    return atoms


def _table_slice(source: str, table: Node, rows: list[_Atom]) -> str:
    """Some of a table's rows as a table of their own, with its colgroup, header and footer."""
    tbody = table.find("tbody")
    assert tbody is not None
    prefix = source[table.start : tbody.open_end]  # <table>, colgroup, thead, <tbody>
    suffix = source[tbody.close_start : table.end]  # </tbody>, tfoot, </table>
    return prefix + source[rows[0].start : rows[-1].end] + suffix


def _part_html(source: str, atoms: list[_Atom]) -> str:
    """A run of atoms as HTML: sections reopened (class ``continued``) where they were cut."""
    out: list[str] = []
    for _, run in groupby(atoms, key=lambda atom: id(atom.section)):
        in_section = list(run)
        section = in_section[0].section
        if section is None:
            out.extend(source[atom.start : atom.end] for atom in in_section)
            continue
        if in_section[0].first:
            out.append(source[section.start : section.open_end])
        else:
            classes = " ".join([*section.classes, "continued"])
            out.append(f'<{section.tag} class="{classes}">')
        for _, children in groupby(in_section, key=lambda atom: id(atom.table)):
            in_table = list(children)
            table = in_table[0].table
            if table is None:
                out.extend(source[atom.start : atom.end] for atom in in_table)
            else:
                out.append(_table_slice(source, table, in_table))
        # Text between children (whitespace) is dropped; it renders nothing.
        out.append(source[section.close_start : section.end])
    return "".join(out)


def _boundaries(atoms: list[_Atom], count: int) -> list[int]:
    """Where the parts start: balanced by weight, moved to a page-breaking section nearby."""
    total = sum(a.weight for a in atoms)
    target = total / count
    starts = [0]
    done = 0
    goal = target
    for index, atom in enumerate(atoms):
        if index > starts[-1] and len(starts) < count:
            opens_page = (
                atom.first
                and atom.section is not None
                and PAGE_SECTION_CLASS in atom.section.classes
            )
            if done + atom.weight / 2 >= goal or (opens_page and done >= goal - target / 2):
                starts.append(index)
                goal = done + target
        done += atom.weight
    return starts


def split_document(
    source: str,
    *,
    parts: int = 1,
    max_weight: float = math.inf,
    min_weight: float = 0,
    multiple: int = 1,
) -> Split:
    """Cut the report into the title page and ``parts`` body parts of about equal text length.

    More parts are made when a part would exceed ``max_weight`` (a worker's memory grows with
    its part), rounded up to a ``multiple`` (of the workers, so no part renders alone at the
    end), and fewer when one would fall under ``min_weight`` (start-up per part).
    """
    root = parse(source)
    with_ids, headings = add_heading_ids(source, root)
    if with_ids is not source:
        source, root = with_ids, parse(with_ids)
    head, body = _body(root)
    header = ""
    front = ""
    atoms: list[_Atom] = []
    for child in body.children:
        if "running-header" in child.classes and not header:
            header = source[child.start : child.end]
        elif "title-page" in child.classes and not front:
            front = source[child.start : child.end]
        elif child.tag in ("section", "div", "article"):
            atoms.extend(_atoms(source, child))
        else:
            weight = _text_length(source, child.start, child.end)
            atoms.append(_Atom(None, True, child.start, child.end, None, weight))
    total = sum(a.weight for a in atoms)
    count = max(parts, math.ceil(total / max_weight))
    count = math.ceil(count / multiple) * multiple
    if min_weight:
        count = min(count, max(1, int(total // min_weight)))
    count = max(1, min(count, len(atoms)))
    starts = [*_boundaries(atoms, count), len(atoms)] if atoms else [0]
    runs = [atoms[a:b] for a, b in zip(starts, starts[1:], strict=False)]
    return Split(
        head=source[head.start : head.end],
        header=header,
        front=front,
        parts=[_part_html(source, run) for run in runs],
        weights=[sum(a.weight for a in run) for run in runs],
        headings=headings,
    )
