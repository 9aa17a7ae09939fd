using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Models.Phi2;
using PhiSharp.Models.Phi3;
using PhiSharp.Quantization;
using PhiSharp.Tensors;
using PhiSharp.Tokenizers;

namespace PhiSharp.Models;

/// <summary>Recognises what a path holds (a GGUF file or a Hugging Face folder) and assembles a <see cref="LanguageModel"/>.</summary>
internal static class ModelLoader
{
    static readonly string[] SupportedGgufArchitectures = ["phi3", "phi2"];
    static readonly string[] SupportedHfArchitectures = ["Phi3ForCausalLM", "PhiForCausalLM"];

    public static LanguageModel Load(string path, LoadOptions options)
    {
        if (Directory.Exists(path)) return LoadHuggingFace(path, options);
        if (!File.Exists(path)) throw new FileNotFoundException($"No model file or folder at '{path}'.", path);
        if (Path.GetFileName(path) == HfModelConfig.FileName) return LoadHuggingFace(Path.GetDirectoryName(Path.GetFullPath(path))!, options);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new ModelFormatException(path, "a safetensors file holds only weights; pass the model folder (with config.json and tokenizer.json) instead");
        return LoadGguf(path, options);
    }

    static LanguageModel LoadGguf(string path, LoadOptions options)
    {
        if (options.Quantize is not null)
            throw new ArgumentException("--quantize applies to Hugging Face folders; a GGUF file is quantized with `phi quantize`.");
        bool map = options.UseMemoryMap ?? TensorFileOptions.MapByDefault(new FileInfo(path).Length);
        var gguf = GgufFile.Open(path, new TensorFileOptions { UseMemoryMap = map });
        try
        {
            string architecture = gguf.GetString("general.architecture");
            if (!SupportedGgufArchitectures.Contains(architecture))
                throw new UnsupportedModelException(path, $"architecture '{architecture}' is not supported (supported: {string.Join(", ", SupportedGgufArchitectures)})");
            var tokenizer = GgufTokenizer(gguf);
            var template = Template(gguf.TryGetString("tokenizer.chat_template", out string t) ? t : null, $"tokenizer.chat_template of {Path.GetFileName(path)}", tokenizer, options);
            var stops = new HashSet<int>(tokenizer.EosIds);
            if (gguf.TryGetInt32("tokenizer.ggml.eot_token_id", out int eot)) stops.Add(eot);
            var (network, shape) = architecture == "phi2"
                ? Phi2(gguf, Phi2Config.FromGguf(gguf), Phi2Weights.BindGguf, options)
                : Phi3(gguf, Phi3ConfigReader.FromGguf(gguf), Phi3TensorNames.Gguf, options);
            return Assemble(Describe(gguf, ModelName.Of(path), "gguf", architecture, shape, options.KvCache), network, tokenizer, template, stops);
        }
        catch
        {
            gguf.Dispose();
            throw;
        }
    }

    internal static ITokenizer GgufTokenizer(GgufFile gguf)
    {
        string kind = gguf.GetString("tokenizer.ggml.model");
        var tokens = gguf.GetStringArray("tokenizer.ggml.tokens");
        var types = gguf.TryGetInt32Array("tokenizer.ggml.token_type", out var ty) ? ty : Enumerable.Repeat(1, tokens.Length).ToArray();
        int? Id(string key) => gguf.TryGetInt32(key, out int id) ? id : null;
        bool Flag(string key, bool fallback) => gguf.TryGetBool(key, out bool b) ? b : fallback;
        switch (kind)
        {
            case "llama":
                var scores = gguf.TryGetFloat32Array("tokenizer.ggml.scores", out var s) ? s : new float[tokens.Length];
                return SentencePieceBpeTokenizer.FromGgufVocabulary(tokens, scores, types,
                    Id("tokenizer.ggml.bos_token_id"), Id("tokenizer.ggml.eos_token_id"), Id("tokenizer.ggml.unknown_token_id"),
                    Flag("tokenizer.ggml.add_bos_token", true), Flag("tokenizer.ggml.add_eos_token", false));
            case "gpt2":
                return ByteLevelBpeTokenizer.FromGgufVocabulary(tokens, gguf.GetStringArray("tokenizer.ggml.merges"), types,
                    gguf.TryGetString("tokenizer.ggml.pre", out string pre) ? pre : null,
                    Id("tokenizer.ggml.bos_token_id"), Id("tokenizer.ggml.eos_token_id"),
                    Flag("tokenizer.ggml.add_bos_token", false), Flag("tokenizer.ggml.add_eos_token", false));
            default:
                throw new UnsupportedModelException(gguf.Path, $"tokenizer model '{kind}' is not supported (supported: llama (SentencePiece BPE), gpt2 (byte-level BPE))");
        }
    }

    /// <summary>Byte-level BPE (GPT-2 / Phi-2, o200k) when tokenizer.json decodes with ByteLevel, else SentencePiece-style BPE.</summary>
    static ITokenizer HfTokenizer(string path)
    {
        var json = TokenizerJson.Load(path);
        return json.IsByteLevel ? ByteLevelBpeTokenizer.FromTokenizerJson(json) : SentencePieceBpeTokenizer.FromTokenizerJson(json);
    }

    static LanguageModel LoadHuggingFace(string folder, LoadOptions options)
    {
        var config = HfModelConfig.Load(folder);
        var architecture = config.Architectures.FirstOrDefault() ?? config.ModelType;
        if (!config.Architectures.Any(SupportedHfArchitectures.Contains))
            throw new UnsupportedModelException(config.FilePath, $"architecture '{architecture}' is not supported (supported: {string.Join(", ", SupportedHfArchitectures)})");

        string tokenizerPath = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(tokenizerPath)) throw new ModelFormatException(folder, "no tokenizer.json in the model folder");
        var tokenizer = HfTokenizer(tokenizerPath);
        string? chatTemplate = File.Exists(Path.Combine(folder, HfTokenizerConfig.FileName)) ? HfTokenizerConfig.Load(folder).ChatTemplate : null;
        var template = Template(chatTemplate, $"{HfTokenizerConfig.FileName} of {ModelName.Of(folder)}", tokenizer, options);
        var stops = new HashSet<int>(tokenizer.EosIds);
        if (File.Exists(Path.Combine(folder, HfGenerationConfig.FileName)))
            stops.UnionWith(HfGenerationConfig.Load(folder).EosTokenIds);

        // Float checkpoints gain nothing from a private copy (no Q4_0 to rearrange): mapped unless asked otherwise.
        var checkpoint = SafetensorsCheckpoint.Open(folder, new TensorFileOptions { UseMemoryMap = options.UseMemoryMap ?? true });
        ITensorSource weights = checkpoint;
        try
        {
            if (options.Quantize is { } type) weights = new QuantizedAtLoadSource(checkpoint, type, Phi3TensorNames.HuggingFace.Output);
            var (network, shape) = config.Architectures.Contains("PhiForCausalLM")
                ? Phi2(weights, Phi2Config.FromHuggingFace(config), Phi2Weights.BindHuggingFace, options)
                : Phi3(weights, Phi3ConfigReader.FromHuggingFace(config), Phi3TensorNames.HuggingFace, options);
            return Assemble(Describe(weights, ModelName.Of(folder), "safetensors", architecture, shape, options.KvCache), network, tokenizer, template, stops);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    static (ICausalLanguageModel, ModelShape) Phi3(ITensorSource source, Phi3Config c, Phi3TensorNames names, LoadOptions options) =>
        (new Phi3Model(source, c, names, threads: options.Threads, ignoreSlidingWindow: options.IgnoreSlidingWindow, kvCache: options.KvCache),
         new ModelShape(c.MaxPositions, c.VocabSize, c.LayerCount, c.HiddenSize, c.HeadCount, c.KeyValueHeadCount, c.HeadDim));

    static (ICausalLanguageModel, ModelShape) Phi2(ITensorSource source, Phi2Config c, Func<ITensorSource, Phi2Config, Phi2Weights> bind,
        LoadOptions options)
    {
        c.Validate(source.Path);
        return (new Phi2Model(source, c, bind(source, c), threads: options.Threads, kvCache: options.KvCache),
            new ModelShape(c.MaxPositions, c.VocabSize, c.LayerCount, c.HiddenSize, c.HeadCount, c.KeyValueHeadCount, c.HeadDim));
    }

    /// <summary>What <see cref="ModelInfo"/> reports of an architecture's configuration.</summary>
    readonly record struct ModelShape(int ContextLength, int VocabSize, int LayerCount, int HiddenSize, int HeadCount, int KeyValueHeadCount, int HeadDim);

    // The template's bos_token / eos_token are the vocabulary's own. A chosen format replaces the model's template.
    static ChatTemplate Template(string? jinja, string name, ITokenizer tokenizer, LoadOptions options)
    {
        string? bos = tokenizer.BosId is int b ? tokenizer.TokenText(b) : null;
        string? eos = tokenizer.EosIds.Count > 0 ? tokenizer.TokenText(tokenizer.EosIds[0]) : null;
        return options.ChatFormat is { } format ? ChatTemplate.FromFormat(format, bos, eos) : ChatTemplate.FromModel(jinja, name, bos, eos);
    }

    static LanguageModel Assemble(ModelInfo info, ICausalLanguageModel network, ITokenizer tokenizer, ChatTemplate template, HashSet<int> stops)
    {
        foreach (var text in template.StopTokens)
            if (tokenizer.TryGetId(text, out int id)) stops.Add(id);
        return new LanguageModel { Info = info, Network = network, Tokenizer = tokenizer, ChatTemplate = template, StopTokenIds = stops };
    }

    static ModelInfo Describe(ITensorSource source, string modelName, string format, string architecture, ModelShape shape, KvCacheType kvCache)
    {
        long parameters = 0, bytes = 0;
        var types = new SortedDictionary<string, long>();
        foreach (var name in source.TensorNames)
        {
            if (!source.TryGetTensor(name, out var t)) continue;
            parameters += t.ElementCount;
            bytes += t.ByteLength;
            string type = GgmlTypeInfo.Name(t.Type);
            types[type] = types.GetValueOrDefault(type) + t.ElementCount;
        }
        return new ModelInfo
        {
            Path = source.Path, Name = modelName, Format = format, Architecture = architecture, ParameterCount = parameters,
            TensorTypes = types, WeightBytes = bytes, ContextLength = shape.ContextLength, VocabSize = shape.VocabSize,
            LayerCount = shape.LayerCount, HiddenSize = shape.HiddenSize, HeadCount = shape.HeadCount,
            KeyValueHeadCount = shape.KeyValueHeadCount,
            KvCache = kvCache,
            KvCacheBytesPerToken = 2L * shape.LayerCount * shape.KeyValueHeadCount * shape.HeadDim * (kvCache == KvCacheType.F16 ? 2 : sizeof(float)),
        };
    }
}
