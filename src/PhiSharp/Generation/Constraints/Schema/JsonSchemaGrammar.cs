using System.Text.Json;

namespace PhiSharp.Generation.Constraints;

/// <summary>
/// JSON Schema (the subset in docs/TOOLS.md) to <see cref="Grammar"/>: every output of the grammar parses as JSON and
/// validates against the schema. Keywords outside the subset are refused with a <see cref="JsonSchemaException"/>
/// naming them, never ignored.
/// </summary>
public static class JsonSchemaGrammar
{
    static readonly Lazy<Grammar> AnyObject = new(() => Grammar.Parse(JsonGrammarText.Primitives + "root ::= object\n"));

    /// <summary>Any JSON object (OpenAI's response_format "json_object").</summary>
    public static Grammar AnyJsonObject => AnyObject.Value;

    /// <exception cref="JsonSchemaException">An unsupported keyword or an unsatisfiable schema.</exception>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static Grammar FromSchema(string schemaJson)
    {
        using var document = JsonDocument.Parse(schemaJson);
        return FromSchema(document.RootElement);
    }

    /// <inheritdoc cref="FromSchema(string)"/>
    public static Grammar FromSchema(JsonElement schema) => Grammar.Parse(SchemaCompiler.Compile(schema));
}
