using System.Text;
using PhiSharp.Rag.Ingestion;

namespace PhiSharp.Rag.Tests.Ingestion;

public sealed class DocumentReaderTests
{
    static ExtractedDocument Read(string name, string content)
    {
        var (document, skipped) = DocumentReader.Extract(name, Encoding.UTF8.GetBytes(content));
        Assert.Null(skipped);
        return document!;
    }

    [Fact]
    public void Markdown_headings_become_the_heading_path_and_markup_is_removed()
    {
        var doc = Read("a.md", "# Guide\n\nIntro with **bold** and `code`.\n\n## Install\n\n- step one\n- step two\n\n### Linux\n\nRun [the script](x.sh).\n\n## Use\n\nJust run it.\n");
        Assert.Equal(["Guide", "Guide > Install", "Guide > Install > Linux", "Guide > Use"], doc.Sections.Select(s => s.Heading));
        Assert.Equal(["Intro with bold and code."], doc.Sections[0].Paragraphs);
        Assert.Equal(["step one", "step two"], doc.Sections[1].Paragraphs);
        Assert.Equal(["Run the script."], doc.Sections[2].Paragraphs);
    }

    [Fact]
    public void Html_keeps_visible_text_only()
    {
        var doc = Read("a.html", """
            <html><head><title>T</title><style>p{color:red}</style><script>var secret = 1;</script></head>
            <body><h1>Top</h1><p>Visible <b>bold</b> text.</p><div hidden>hidden one</div>
            <p style="display: none">hidden two</p><noscript>no script</noscript><h2>Sub</h2><ul><li>item a</li><li>item b</li></ul></body></html>
            """);
        var all = string.Join(" | ", doc.Sections.SelectMany(s => s.Paragraphs));
        Assert.Equal("Visible bold text. | item a | item b", all);
        Assert.Equal(["T > Top", "T > Top > Sub"], doc.Sections.Select(s => s.Heading));
    }

    [Fact]
    public void Json_and_jsonl_give_their_prose_fields()
    {
        var doc = Read("a.json", """{"id": "x-12", "title": "Hello there", "items": [{"body": "First body text"}, {"n": 3}]}""");
        Assert.Equal(["title: Hello there", "body: First body text"], doc.Sections.Single().Paragraphs);

        var lines = Read("a.jsonl", "{\"text\": \"line one here\"}\n\n{\"text\": \"line two here\"}\n");
        Assert.Equal(["line 1", "line 3"], lines.Sections.Select(s => s.Heading));
    }

    [Fact]
    public void Source_code_keeps_its_lines()
    {
        var doc = Read("a.py", "def f(x):\n    return x + 1\n\n\nclass C:\n    pass\n");
        Assert.Equal(["def f(x):\n    return x + 1", "class C:\n    pass"], doc.Sections.Single().Paragraphs);
    }

    [Theory]
    [InlineData("a.png", new byte[] { 1, 2, 3 }, "unsupported file type '.png'")]
    [InlineData("a.txt", new byte[] { 0x41, 0, 0x42 }, "binary content (NUL bytes)")]
    [InlineData("a.txt", new byte[] { 0x41, 0xFF, 0xFE, 0x42 }, "not UTF-8 text")]
    [InlineData("a.json", new byte[] { 0x7B, 0x41 }, "malformed .json")]
    public void Bad_files_are_skipped_with_a_reason(string name, byte[] bytes, string reason)
    {
        var (document, skipped) = DocumentReader.Extract(name, bytes);
        Assert.Null(document);
        Assert.StartsWith(reason, skipped!.Reason);
    }
}
