namespace PhiSharp.Generation.Constraints;

/// <summary>A JSON schema the compiler cannot turn into a grammar; <see cref="Keyword"/> names the keyword at fault and
/// <see cref="Path"/> where it is (a JSON pointer into the schema).</summary>
public sealed class JsonSchemaException(string keyword, string path, string message) : ArgumentException(message)
{
    public string Keyword { get; } = keyword;
    public string Path { get; } = path;
}
