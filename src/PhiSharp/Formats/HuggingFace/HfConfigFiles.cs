using System.Text.Json;

namespace PhiSharp.Formats.HuggingFace;

// Thin wrappers over the three JSON files of a Hugging Face model folder. They expose the few fields every model
// shares; architecture-specific fields are read by each model through the HfJsonObject accessors.

/// <summary>config.json: the architecture's hyper-parameters.</summary>
public sealed class HfModelConfig : HfJsonObject
{
    public const string FileName = "config.json";

    private HfModelConfig(HfJsonObject json) : base(json) { }

    /// <summary>Loads <paramref name="path"/>: the file, or a model folder holding config.json.</summary>
    public static new HfModelConfig Load(string path) => new(HfJsonObject.Load(ResolveFile(path, FileName)));

    /// <summary>"model_type", e.g. "phi3"; required.</summary>
    public string ModelType => GetString("model_type");

    /// <summary>"architectures", e.g. ["Phi3ForCausalLM"]; empty when absent.</summary>
    public string[] Architectures => TryGetStringArray("architectures", out var value) ? value : [];

    internal static string ResolveFile(string path, string fileName) =>
        Directory.Exists(path) ? System.IO.Path.Combine(path, fileName) : path;
}

/// <summary>generation_config.json: default sampling settings and stop tokens.</summary>
public sealed class HfGenerationConfig : HfJsonObject
{
    public const string FileName = "generation_config.json";

    private HfGenerationConfig(HfJsonObject json) : base(json) { }

    public static new HfGenerationConfig Load(string path) => new(HfJsonObject.Load(HfModelConfig.ResolveFile(path, FileName)));

    /// <summary>"eos_token_id", one integer or a list of them; empty when absent.</summary>
    public int[] EosTokenIds => TryGetIntOrIntArray("eos_token_id", out var value) ? value : [];

    public int? BosTokenId => TryGetInt("bos_token_id", out int value) ? value : null;
    public bool? DoSample => TryGetBool("do_sample", out bool value) ? value : null;
    public double? Temperature => TryGetDouble("temperature", out double value) ? value : null;
    public double? TopP => TryGetDouble("top_p", out double value) ? value : null;
    public int? TopK => TryGetInt("top_k", out int value) ? value : null;
}

/// <summary>tokenizer_config.json: special tokens, BOS/EOS policy and the chat template.</summary>
public sealed class HfTokenizerConfig : HfJsonObject
{
    public const string FileName = "tokenizer_config.json";

    private HfTokenizerConfig(HfJsonObject json) : base(json) { }

    public static new HfTokenizerConfig Load(string path) => new(HfJsonObject.Load(HfModelConfig.ResolveFile(path, FileName)));

    public string? BosToken => GetSpecialToken("bos_token");
    public string? EosToken => GetSpecialToken("eos_token");
    public string? UnkToken => GetSpecialToken("unk_token");
    public string? PadToken => GetSpecialToken("pad_token");

    public bool? AddBosToken => TryGetBool("add_bos_token", out bool value) ? value : null;
    public bool? AddEosToken => TryGetBool("add_eos_token", out bool value) ? value : null;

    /// <summary>"tokenizer_class": the transformers class that loads the folder (it decides the pipeline in transformers ≥ 5).</summary>
    public string? TokenizerClass => TryGetString("tokenizer_class", out string value) ? value : null;

    /// <summary>"legacy": SentencePiece-style tokenizers' handling of text after special tokens (transformers PR #24565).</summary>
    public bool? Legacy => TryGetBool("legacy", out bool value) ? value : null;

    /// <summary>"add_prefix_space": whether a ▁ marks the start of the text.</summary>
    public bool? AddPrefixSpace => TryGetBool("add_prefix_space", out bool value) ? value : null;

    /// <summary>"model_max_length"; a number (HF writes 1e30 for "unbounded").</summary>
    public double? ModelMaxLength => TryGetDouble("model_max_length", out double value) ? value : null;

    /// <summary>"chat_template": a Jinja string, or from a list of { name, template } the one named "default".</summary>
    public string? ChatTemplate
    {
        get
        {
            if (!TryGetValue("chat_template", out var element)) return null;
            if (element.ValueKind != JsonValueKind.Array) return GetString("chat_template");
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object
                    && item.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                    && name.GetString() == "default"
                    && item.TryGetProperty("template", out var template) && template.ValueKind == JsonValueKind.String)
                    return template.GetString();
            }
            return null;
        }
    }

    /// <summary>A special token written either as a string or as an AddedToken object { "content": ... }.</summary>
    public string? GetSpecialToken(string name)
    {
        if (!TryGetValue(name, out var element)) return null;
        return element.ValueKind == JsonValueKind.Object ? GetObject(name).GetString("content") : GetString(name);
    }
}
