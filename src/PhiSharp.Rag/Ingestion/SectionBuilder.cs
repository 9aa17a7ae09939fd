using System.Text;

namespace PhiSharp.Rag.Ingestion;

/// <summary>
/// Collects paragraphs under a heading stack while an extractor walks a document in reading order.
/// Whitespace inside a paragraph is collapsed to single spaces; empty paragraphs and sections are dropped.
/// </summary>
sealed class SectionBuilder
{
    readonly List<Section> _sections = [];
    readonly List<string> _paragraphs = [];
    readonly List<(int Level, string Text)> _headings = [];

    public void Heading(int level, string text)
    {
        FlushSection();
        while (_headings.Count > 0 && _headings[^1].Level >= level) _headings.RemoveAt(_headings.Count - 1);
        var clean = CollapseWhitespace(text);
        if (clean.Length > 0) _headings.Add((level, clean));
    }

    public void Paragraph(string text)
    {
        var clean = CollapseWhitespace(text);
        if (clean.Length > 0) _paragraphs.Add(clean);
    }

    /// <summary>Paragraphs whose line breaks matter (source code, preformatted text): only trailing space is trimmed.</summary>
    public void Preformatted(string text)
    {
        var clean = string.Join('\n', text.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd())).Trim('\n');
        if (clean.Trim().Length > 0) _paragraphs.Add(clean);
    }

    /// <summary>Starts a new section under an explicit name (e.g. "line 12" of a JSONL file), clearing the heading stack.</summary>
    public void NamedSection(string name)
    {
        FlushSection();
        _headings.Clear();
        _headings.Add((0, name));
    }

    public ExtractedDocument Build()
    {
        FlushSection();
        return new ExtractedDocument(_sections.ToArray());
    }

    void FlushSection()
    {
        if (_paragraphs.Count == 0) return;
        var heading = _headings.Count == 0 ? null : string.Join(" > ", _headings.Select(h => h.Text));
        _sections.Add(new Section(heading, _paragraphs.ToArray()));
        _paragraphs.Clear();
    }

    public static string CollapseWhitespace(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }
}
