using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace PhiSharp.Rag.Ingestion;

/// <summary>
/// HTML → sections with the visible text only: scripts, styles, templates, the head and elements marked
/// hidden are dropped; h1–h6 become the heading path; block elements end paragraphs.
/// </summary>
static class HtmlExtractor
{
    static readonly HashSet<string> Invisible = ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD", "SVG", "IFRAME", "OBJECT", "CANVAS"];

    static readonly HashSet<string> Blocks =
    [
        "P", "DIV", "LI", "UL", "OL", "DL", "DT", "DD", "TABLE", "TR", "TD", "TH", "BLOCKQUOTE", "PRE", "SECTION",
        "ARTICLE", "ASIDE", "HEADER", "FOOTER", "NAV", "MAIN", "FIGURE", "FIGCAPTION", "BR", "HR", "FORM", "ADDRESS",
    ];

    public static ExtractedDocument Extract(string html)
    {
        var document = new HtmlParser().ParseDocument(html);
        var builder = new SectionBuilder();
        var paragraph = new System.Text.StringBuilder();
        if (document.Title is { Length: > 0 } title) builder.Heading(0, title);
        Walk(document.Body ?? (INode)document.DocumentElement, builder, paragraph);
        builder.Paragraph(paragraph.ToString());
        return builder.Build();
    }

    static void Walk(INode node, SectionBuilder builder, System.Text.StringBuilder paragraph)
    {
        foreach (var child in node.ChildNodes)
        {
            if (child is IText text) { paragraph.Append(text.Data); continue; }
            if (child is not IElement element || IsHidden(element)) continue;

            string tag = element.TagName.ToUpperInvariant();
            if (tag.Length == 2 && tag[0] == 'H' && tag[1] is >= '1' and <= '6')
            {
                EndParagraph(builder, paragraph);
                builder.Heading(tag[1] - '0', element.TextContent);
                continue;
            }
            bool block = Blocks.Contains(tag);
            if (block) EndParagraph(builder, paragraph);
            Walk(element, builder, paragraph);
            if (block) EndParagraph(builder, paragraph);
        }
    }

    static bool IsHidden(IElement element) =>
        Invisible.Contains(element.TagName.ToUpperInvariant())
        || element.HasAttribute("hidden")
        || element.GetAttribute("aria-hidden") == "true"
        || (element.GetAttribute("style") ?? "").Replace(" ", "").Contains("display:none", StringComparison.OrdinalIgnoreCase);

    static void EndParagraph(SectionBuilder builder, System.Text.StringBuilder paragraph)
    {
        builder.Paragraph(paragraph.ToString());
        paragraph.Clear();
    }
}
