using System.Text.Json;
using PhiSharp.Generation.Constraints;

namespace PhiSharp.Server;

/// <summary>
/// "response_format": <c>{"type": "text"}</c> (no constraint), <c>{"type": "json_object"}</c> (any JSON object) or
/// <c>{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}</c>, read as the grammar the output is
/// constrained to. The output follows the schema whether or not "strict" is set. A schema outside the supported subset
/// (docs/TOOLS.md) is a 400 that names the keyword and where it is.
/// </summary>
static class ResponseFormat
{
    public static Grammar? Read(RequestReader r)
    {
        if (r.Field("response_format") is not { } format || format.ValueKind == JsonValueKind.Null) return null;
        if (format.ValueKind != JsonValueKind.Object) throw RequestReader.WrongType("response_format", "an object");
        if (!format.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            throw ApiException.BadRequest("'response_format.type' is required: text, json_object or json_schema.", "response_format.type", "missing_required_parameter");
        switch (type.GetString())
        {
            case "text": return null;
            case "json_object": return JsonSchemaGrammar.AnyJsonObject;
            case "json_schema": break;
            default:
                throw ApiException.BadRequest($"'response_format.type' must be text, json_object or json_schema; got '{type.GetString()}'.", "response_format.type", "invalid_value");
        }
        if (!format.TryGetProperty("json_schema", out var spec) || spec.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("'response_format.json_schema' is required with type json_schema, as an object with 'name' and 'schema'.", "response_format.json_schema", "missing_required_parameter");
        if (spec.TryGetProperty("strict", out var strict) && strict.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            throw RequestReader.WrongType("response_format.json_schema.strict", "a boolean");
        if (!spec.TryGetProperty("schema", out var schema))
            throw ApiException.BadRequest("'response_format.json_schema.schema' is required.", "response_format.json_schema.schema", "missing_required_parameter");
        try
        {
            return JsonSchemaGrammar.FromSchema(schema);
        }
        catch (JsonSchemaException e)
        {
            throw ApiException.BadRequest($"response_format.json_schema.schema: {e.Message}", "response_format.json_schema.schema", "unsupported_schema");
        }
    }
}
