using System.Text.Json;

namespace PhiSharp.Rag.Ingestion;

/// <summary>
/// JSON → the text fields: every string value that contains a letter and a space (prose, not ids, urls or enums)
/// becomes a paragraph, headed by its property name. JSONL gives one section per line.
/// </summary>
static class JsonExtractor
{
    public static ExtractedDocument Extract(string json)
    {
        var builder = new SectionBuilder();
        using var document = JsonDocument.Parse(json, Options);
        Walk(document.RootElement, null, builder);
        return builder.Build();
    }

    public static ExtractedDocument ExtractLines(string jsonl)
    {
        var builder = new SectionBuilder();
        var lines = jsonl.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            JsonDocument document;
            try { document = JsonDocument.Parse(lines[i], Options); }
            catch (JsonException e) { throw new FormatException($"line {i + 1} is not JSON: {e.Message}", e); }
            using (document)
            {
                builder.NamedSection($"line {i + 1}");
                Walk(document.RootElement, null, builder);
            }
        }
        return builder.Build();
    }

    static readonly JsonDocumentOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 };

    static void Walk(JsonElement element, string? name, SectionBuilder builder)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject()) Walk(property.Value, property.Name, builder);
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) Walk(item, name, builder);
                break;
            case JsonValueKind.String:
                var text = element.GetString()!;
                if (IsProse(text)) builder.Paragraph(name is null ? text : $"{name}: {text}");
                break;
        }
    }

    static bool IsProse(string text) => text.Any(char.IsLetter) && text.Trim().Any(char.IsWhiteSpace);
}
