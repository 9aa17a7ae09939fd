using System.Text.Json;

namespace PhiSharp.Formats.HuggingFace;

/// <summary>
/// A JSON object from a Hugging Face file (config.json, generation_config.json, tokenizer_config.json, or an object
/// nested in one) with typed accessors. Get* throws <see cref="ModelFormatException"/> naming the file and the field
/// (dotted from the root, e.g. "rope_scaling.long_factor") when it is missing or of the wrong type. TryGet* returns
/// false when the field is missing or null; a present field of the wrong type is still an error.
/// </summary>
public class HfJsonObject
{
    public string FilePath { get; }

    /// <summary>Dotted path of this object from the file's root; empty for the root.</summary>
    public string FieldPath { get; }

    public JsonElement Element { get; }

    protected HfJsonObject(HfJsonObject other) : this(other.FilePath, other.Element, other.FieldPath) { }

    private HfJsonObject(string filePath, JsonElement element, string fieldPath)
    {
        FilePath = filePath;
        Element = element;
        FieldPath = fieldPath;
    }

    /// <summary>Reads and parses <paramref name="path"/>, whose root must be a JSON object.</summary>
    public static HfJsonObject Load(string path) => Parse(path, File.ReadAllBytes(path));

    /// <summary>Parses <paramref name="json"/>; <paramref name="filePath"/> is used in error messages.</summary>
    public static HfJsonObject Parse(string filePath, ReadOnlyMemory<byte> json)
    {
        JsonElement root;
        try
        {
            var options = new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };
            using var document = JsonDocument.Parse(json, options);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(filePath, $"not valid JSON: {e.Message}", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(filePath, $"the root is a JSON {root.ValueKind}, expected an object");
        return new HfJsonObject(filePath, root, "");
    }

    /// <summary>True if the field is present and not null.</summary>
    public bool Contains(string name) => TryGetValue(name, out _);

    public int GetInt(string name) => TryGetInt(name, out int value) ? value : throw Missing(name);
    public bool TryGetInt(string name, out int value) => TryGet(name, IsInt, e => e.GetInt32(), "an integer", out value);

    /// <summary>An integer that must be at least 1, such as a size or a context length.</summary>
    public int GetPositiveInt(string name) => GetInt(name) is var value && value > 0 ? value : throw Error(name, $"is {value}, expected a positive integer");

    public long GetLong(string name) => TryGetLong(name, out long value) ? value : throw Missing(name);
    public bool TryGetLong(string name, out long value) => TryGet(name, IsLong, e => e.GetInt64(), "an integer", out value);

    public double GetDouble(string name) => TryGetDouble(name, out double value) ? value : throw Missing(name);
    public bool TryGetDouble(string name, out double value) =>
        TryGet(name, e => e.ValueKind == JsonValueKind.Number, e => e.GetDouble(), "a number", out value);

    public string GetString(string name) => TryGetString(name, out string value) ? value : throw Missing(name);
    public bool TryGetString(string name, out string value) =>
        TryGet(name, e => e.ValueKind == JsonValueKind.String, e => e.GetString()!, "a string", out value!);

    public bool GetBool(string name) => TryGetBool(name, out bool value) ? value : throw Missing(name);
    public bool TryGetBool(string name, out bool value) =>
        TryGet(name, e => e.ValueKind is JsonValueKind.True or JsonValueKind.False, e => e.GetBoolean(), "true or false", out value);

    public int[] GetIntArray(string name) => TryGetIntArray(name, out int[] value) ? value : throw Missing(name);
    public bool TryGetIntArray(string name, out int[] value) => TryGetArray(name, IsInt, e => e.GetInt32(), "integers", out value);

    public double[] GetDoubleArray(string name) => TryGetDoubleArray(name, out double[] value) ? value : throw Missing(name);
    public bool TryGetDoubleArray(string name, out double[] value) =>
        TryGetArray(name, e => e.ValueKind == JsonValueKind.Number, e => e.GetDouble(), "numbers", out value);

    public string[] GetStringArray(string name) => TryGetStringArray(name, out string[] value) ? value : throw Missing(name);
    public bool TryGetStringArray(string name, out string[] value) =>
        TryGetArray(name, e => e.ValueKind == JsonValueKind.String, e => e.GetString()!, "strings", out value);

    /// <summary>A field that may be one integer or an array of them (e.g. eos_token_id); one becomes [value].</summary>
    public int[] GetIntOrIntArray(string name) => TryGetIntOrIntArray(name, out int[] value) ? value : throw Missing(name);
    public bool TryGetIntOrIntArray(string name, out int[] value)
    {
        if (TryGetValue(name, out var element) && IsInt(element))
        {
            value = [element.GetInt32()];
            return true;
        }
        return TryGetIntArray(name, out value);
    }

    public HfJsonObject GetObject(string name) => TryGetObject(name, out var value) ? value : throw Missing(name);
    public bool TryGetObject(string name, out HfJsonObject value) =>
        TryGet(name, e => e.ValueKind == JsonValueKind.Object, e => new HfJsonObject(FilePath, e, Qualified(name)), "an object", out value!);

    /// <summary>An array of objects, e.g. tokenizer.json's "added_tokens"; empty when absent.</summary>
    public bool TryGetObjectArray(string name, out HfJsonObject[] value)
    {
        if (!TryGetValue(name, out var element))
        {
            value = [];
            return false;
        }
        if (element.ValueKind != JsonValueKind.Array) throw WrongType(name, element, "an array of objects");
        value = new HfJsonObject[element.GetArrayLength()];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            string itemName = $"{name}[{i}]";
            if (item.ValueKind != JsonValueKind.Object) throw Error(itemName, $"is {Describe(item)}, expected an object");
            value[i++] = new HfJsonObject(FilePath, item, Qualified(itemName));
        }
        return true;
    }

    /// <summary>The raw element of a present, non-null field, for shapes the typed accessors do not cover.</summary>
    public bool TryGetValue(string name, out JsonElement value) =>
        Element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>An error about field <paramref name="name"/> of this object, naming file and field.</summary>
    public ModelFormatException Error(string name, string problem) => new(FilePath, $"field '{Qualified(name)}' {problem}");

    private bool TryGet<T>(string name, Func<JsonElement, bool> isValid, Func<JsonElement, T> read, string expected, out T value)
    {
        if (!TryGetValue(name, out var element))
        {
            value = default!;
            return false;
        }
        if (!isValid(element)) throw WrongType(name, element, expected);
        value = read(element);
        return true;
    }

    private bool TryGetArray<T>(string name, Func<JsonElement, bool> isValid, Func<JsonElement, T> read, string expected, out T[] value)
    {
        if (!TryGetValue(name, out var element))
        {
            value = [];
            return false;
        }
        if (element.ValueKind != JsonValueKind.Array) throw WrongType(name, element, $"an array of {expected}");
        value = new T[element.GetArrayLength()];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (!isValid(item)) throw Error($"{name}[{i}]", $"is {Describe(item)}, expected one of an array of {expected}");
            value[i++] = read(item);
        }
        return true;
    }

    private static bool IsInt(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _);
    private static bool IsLong(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out _);

    private string Qualified(string name) => FieldPath.Length == 0 ? name : $"{FieldPath}.{name}";

    private ModelFormatException Missing(string name) => Error(name, "is missing");

    private ModelFormatException WrongType(string name, JsonElement element, string expected) =>
        Error(name, $"is {Describe(element)}, expected {expected}");

    private static string Describe(JsonElement e)
    {
        string text = e.GetRawText();
        return $"{e.ValueKind.ToString().ToLowerInvariant()} {(text.Length > 40 ? text[..40] + "…" : text)}";
    }
}
