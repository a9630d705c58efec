"""Split the report's rendered HTML into self-contained parts that render in parallel.

The HTML comes from our own templates with every user value autoescaped, so no raw ``<`` or
``>`` appears in text or attribute values and a tag scanner finds every element reliably. The
parts are slices of the original string: nothing is re-serialised (an HTML parser would
lower-case the inline SVG charts' ``viewBox``). Splits fall between a top-level section's
children and between the rows of a table that is a direct child of a section.
"""

import html as html_lib
import re
from dataclasses import dataclass, field

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
    """The document cut into parts: what every part repeats, the front, and the body pieces."""

    head: str  # <head>…</head>
    header: str  # the running header element, repeated in every part
    front: str  # the title page
    pieces: list[str]  # sections or parts of sections, in order
    weights: list[int]  # each piece's size, a proxy for its layout cost
    headings: list[Heading]


def _body(root: Node) -> tuple[Node, Node]:
    html = root.find("html")
    if html is None or html.find("head") is None or html.find("body") is None:
        raise ValueError("the report HTML has no <html>, <head> or <body>")
    head, body = html.find("head"), html.find("body")
    assert head is not None
    assert body is not None
    return head, body


def add_heading_ids(source: str) -> tuple[str, list[Heading]]:
    """Give every chapter heading an id (kept if it has one); returns the new source and TOC."""
    root = parse(source)
    _, body = _body(root)
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


def _table_pieces(source: str, table: Node, target: int) -> list[str]:
    """A long table cut between rows; every part repeats the colgroup and the header."""
    tbody = table.find("tbody")
    rows = [r for r in tbody.children if r.tag == "tr"] if tbody else []
    if tbody is None or len(rows) < 2:
        return [source[table.start : table.end]]
    prefix = source[table.start : tbody.open_end]  # <table>, colgroup, thead, <tbody>
    suffix = source[tbody.close_start : table.end]  # </tbody>, tfoot, </table>
    pieces: list[str] = []
    first = 0
    size = 0
    for index, row in enumerate(rows):
        size += row.end - row.start
        if size >= target and index + 1 < len(rows):
            pieces.append(prefix + source[rows[first].start : row.end] + suffix)
            first, size = index + 1, 0
    pieces.append(prefix + source[rows[first].start : rows[-1].end] + suffix)
    return pieces


def _section_pieces(source: str, section: Node, target: int) -> list[str]:
    """A top-level section, whole when small, else cut between children and table rows."""
    whole = source[section.start : section.end]
    if len(whole) <= target or not section.children:
        return [whole]
    open_tag = source[section.start : section.open_end]
    classes = " ".join([*section.classes, "continued"])
    continued_tag = f'<{section.tag} class="{classes}">'
    close_tag = source[section.close_start : section.end]
    parts: list[str] = []
    for child in section.children:
        if child.tag == "table":
            parts.extend(_table_pieces(source, child, target))
        else:
            parts.append(source[child.start : child.end])
    # Text between children (whitespace) is dropped; it renders nothing.
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for part in parts:
        if current and size + len(part) > target:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(part)
        size += len(part)
    pieces.append("".join(current))
    return [
        (open_tag if index == 0 else continued_tag) + piece + close_tag
        for index, piece in enumerate(pieces)
    ]


def split_document(source: str, *, target: int) -> Split:
    """Cut the report into the title page and body pieces of about ``target`` characters."""
    source, headings = add_heading_ids(source)
    root = parse(source)
    head, body = _body(root)
    header = ""
    front = ""
    pieces: list[str] = []
    for child in body.children:
        if "running-header" in child.classes and not header:
            header = source[child.start : child.end]
        elif "title-page" in child.classes and not front:
            front = source[child.start : child.end]
        elif child.tag in ("section", "div", "article"):
            pieces.extend(_section_pieces(source, child, target))
        else:
            pieces.append(source[child.start : child.end])
    return Split(
        head=source[head.start : head.end],
        header=header,
        front=front,
        pieces=pieces,
        weights=[len(p) for p in pieces],
        headings=headings,
    )


def pack(weights: list[int], *, target: int) -> list[list[int]]:
    """Group consecutive pieces into parts of about ``target`` weight (indices per part)."""
    groups: list[list[int]] = []
    current: list[int] = []
    size = 0
    for index, weight in enumerate(weights):
        if current and size + weight > target:
            groups.append(current)
            current, size = [], 0
        current.append(index)
        size += weight
    if current:
        groups.append(current)
    return groups
