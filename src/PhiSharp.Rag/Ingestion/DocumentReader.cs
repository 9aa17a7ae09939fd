using System.Text;

namespace PhiSharp.Rag.Ingestion;

/// <summary>
/// Reads one file into an <see cref="ExtractedDocument"/> by its extension. Never throws for a bad file:
/// unsupported types, binary content, invalid UTF-8, malformed JSON and unreadable files come back as a
/// <see cref="SkippedFile"/> with the reason.
/// </summary>
public static class DocumentReader
{
    /// <summary>Files larger than this are skipped: they are almost always data or logs, not documents.</summary>
    public const long MaxFileBytes = 16 << 20;

    /// <summary>Why a file over <see cref="MaxFileBytes"/> is skipped.</summary>
    public static readonly string TooLarge = $"larger than {MaxFileBytes >> 20} MB";

    static readonly HashSet<string> SourceCode = new(StringComparer.OrdinalIgnoreCase)
    {
        ".cs", ".fs", ".vb", ".py", ".js", ".mjs", ".ts", ".tsx", ".jsx", ".java", ".kt", ".scala", ".go", ".rs",
        ".c", ".h", ".cc", ".cpp", ".hpp", ".m", ".swift", ".rb", ".php", ".pl", ".lua", ".r", ".jl", ".sh", ".bash",
        ".ps1", ".sql", ".css", ".scss", ".yaml", ".yml", ".toml", ".ini", ".xml", ".csproj", ".props", ".proto",
        ".gradle", ".cmake", ".dockerfile", ".rst", ".tex", ".csv", ".tsv", ".log", ".cfg", ".conf",
    };

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool IsSupported(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext is ".txt" or ".md" or ".markdown" or ".html" or ".htm" or ".json" or ".jsonl" || SourceCode.Contains(ext);
    }

    /// <summary>Extracts <paramref name="bytes"/> (the file's content, already read) as the type <paramref name="path"/> names.</summary>
    public static (ExtractedDocument? Document, SkippedFile? Skipped) Extract(string path, ReadOnlySpan<byte> bytes)
    {
        if (!IsSupported(path)) return (null, new SkippedFile(path, $"unsupported file type '{Path.GetExtension(path)}'"));
        if (bytes.Length > MaxFileBytes) return (null, new SkippedFile(path, TooLarge));
        if (bytes[..Math.Min(bytes.Length, 8192)].Contains((byte)0)) return (null, new SkippedFile(path, "binary content (NUL bytes)"));

        string text;
        try { text = StrictUtf8.GetString(bytes.StartsWith("\uFEFF"u8) ? bytes[3..] : bytes); }
        catch (DecoderFallbackException) { return (null, new SkippedFile(path, "not UTF-8 text")); }

        try
        {
            var document = Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".md" or ".markdown" => MarkdownExtractor.Extract(text),
                ".html" or ".htm" => HtmlExtractor.Extract(text),
                ".json" => JsonExtractor.Extract(text),
                ".jsonl" => JsonExtractor.ExtractLines(text),
                ".txt" => PlainText(text, preformatted: false),
                _ => PlainText(text, preformatted: true),
            };
            return (document, null);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return (null, new SkippedFile(path, $"malformed {Path.GetExtension(path)}: {e.Message}"));
        }
    }

    /// <summary>Plain text and source code: blank lines separate paragraphs; code keeps its line breaks.</summary>
    static ExtractedDocument PlainText(string text, bool preformatted)
    {
        var builder = new SectionBuilder();
        foreach (var block in text.Replace("\r\n", "\n").Split("\n\n"))
        {
            if (preformatted) builder.Preformatted(block);
            else builder.Paragraph(block);
        }
        return builder.Build();
    }
}
