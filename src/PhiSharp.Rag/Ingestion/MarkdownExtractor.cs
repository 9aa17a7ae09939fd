using System.Text;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace PhiSharp.Rag.Ingestion;

/// <summary>Markdown → sections: headings become the heading path, every leaf block a paragraph, markup removed.</summary>
static class MarkdownExtractor
{
    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    public static ExtractedDocument Extract(string markdown)
    {
        var builder = new SectionBuilder();
        foreach (var block in Markdown.Parse(markdown, Pipeline).Descendants())
        {
            switch (block)
            {
                case HeadingBlock heading:
                    builder.Heading(heading.Level, InlineText(heading.Inline));
                    break;
                case CodeBlock code:
                    builder.Preformatted(code.Lines.ToString());
                    break;
                case LeafBlock leaf when leaf.Inline is not null:
                    builder.Paragraph(InlineText(leaf.Inline));
                    break;
            }
        }
        return builder.Build();
    }

    static string InlineText(ContainerInline? container)
    {
        var sb = new StringBuilder();
        if (container is not null) Append(container, sb);
        return sb.ToString();
    }

    static void Append(Inline inline, StringBuilder sb)
    {
        switch (inline)
        {
            case LiteralInline literal: sb.Append(literal.Content.ToString()); break;
            case CodeInline code: sb.Append(code.Content); break;
            case LineBreakInline: sb.Append(' '); break;
            case HtmlEntityInline entity: sb.Append(entity.Transcoded.ToString()); break;
            case ContainerInline container:
                foreach (var child in container) Append(child, sb);
                break;
        }
    }
}
