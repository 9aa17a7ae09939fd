using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Models.Decoder;
using PhiSharp.Quantization;
using PhiSharp.Tensors;
using PhiSharp.Tokenizers;

namespace PhiSharp.Models;

/// <summary>Recognises what a path holds (a GGUF file or a Hugging Face folder) and assembles a <see cref="LanguageModel"/>.</summary>
internal static class ModelLoader
{
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
        var gguf = GgufFile.Open(path, new TensorFileOptions { UseMemoryMap = map, Progress = options.Progress });
        try
        {
            var architecture = ArchitectureRegistry.ForGguf(gguf);
            string name = gguf.GetString("general.architecture");
            RefuseEncoder(architecture, path, name);
            var tokenizer = GgufTokenizer(gguf);
            var template = Template(gguf.TryGetString("tokenizer.chat_template", out string t) ? t : null, $"tokenizer.chat_template of {Path.GetFileName(path)}", tokenizer, options);
            var stops = new HashSet<int>(tokenizer.EosIds);
            if (gguf.TryGetInt32("tokenizer.ggml.eot_token_id", out int eot)) stops.Add(eot);
            var network = architecture.FromGguf(gguf, options);
            string modelName = ModelName.Of(path);
            string[] names = gguf.TryGetString("general.name", out string generalName) ? [modelName, generalName] : [modelName];
            var info = Describe(gguf, modelName, "gguf", name, FamilyMember.Identify(name, architecture.GgufNames[0], network.Shape, names),
                network.Shape, options.KvCache);
            return Assemble(info, new DecoderModel(gguf, network, threads: options.Threads, kvCache: options.KvCache), tokenizer, template, stops);
        }
        catch
        {
            gguf.Dispose();
            throw;
        }
    }

    /// <summary>A sentence encoder is found by the registry, but is loaded by the embedders, not as a language model.</summary>
    static void RefuseEncoder(ModelArchitecture architecture, string path, string name)
    {
        if (architecture.IsEncoder)
            throw new UnsupportedModelException(path, $"architecture '{name}' is a sentence-embedding model, not a language model; use it as an embedder");
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
                    Flag("tokenizer.ggml.add_bos_token", true), Flag("tokenizer.ggml.add_eos_token", false),
                    addSpacePrefix: Flag("tokenizer.ggml.add_space_prefix", true),
                    modelName: gguf.TryGetString("general.name", out string name) ? name : null);
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
        var architecture = ArchitectureRegistry.ForHuggingFace(config);
        string name = ArchitectureRegistry.HfName(config);
        RefuseEncoder(architecture, config.FilePath, name);

        string tokenizerPath = Path.Combine(folder, "tokenizer.json");
        var tokenizer = File.Exists(tokenizerPath) ? HfTokenizer(tokenizerPath)
            : architecture.TiktokenWithoutTokenizerJson(folder)?.Load() ?? throw new ModelFormatException(folder, "no tokenizer.json in the model folder");
        string? chatTemplate = File.Exists(Path.Combine(folder, HfTokenizerConfig.FileName)) ? HfTokenizerConfig.Load(folder).ChatTemplate : null;
        var template = Template(chatTemplate, $"{HfTokenizerConfig.FileName} of {ModelName.Of(folder)}", tokenizer, options);
        var stops = new HashSet<int>(tokenizer.EosIds);
        if (File.Exists(Path.Combine(folder, HfGenerationConfig.FileName)))
            stops.UnionWith(HfGenerationConfig.Load(folder).EosTokenIds);

        // Float checkpoints gain nothing from a private copy (no Q4_0 to rearrange): mapped unless asked otherwise.
        var checkpoint = SafetensorsCheckpoint.Open(folder, new TensorFileOptions { UseMemoryMap = options.UseMemoryMap ?? true, Progress = options.Progress });
        ITensorSource weights = checkpoint;
        try
        {
            if (options.Quantize is { } type) weights = new QuantizedAtLoadSource(checkpoint, type, architecture.HfOutputTensor);
            var network = architecture.FromHuggingFace(config, weights, options);
            string modelName = ModelName.Of(folder);
            var info = Describe(weights, modelName, "safetensors", name, FamilyMember.Identify(name, architecture.GgufNames[0], network.Shape, [modelName]),
                network.Shape, options.KvCache);
            return Assemble(info, new DecoderModel(weights, network, threads: options.Threads, kvCache: options.KvCache), tokenizer, template, stops);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

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

    static ModelInfo Describe(ITensorSource source, string modelName, string format, string architecture, string familyMember,
        DecoderShape shape, KvCacheType kvCache)
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
            Path = source.Path, Name = modelName, Format = format, Architecture = architecture, FamilyMember = familyMember,
            ParameterCount = parameters, TensorTypes = types, WeightBytes = bytes, ContextLength = shape.MaxPositions, VocabSize = shape.VocabSize,
            LayerCount = shape.LayerCount, HiddenSize = shape.HiddenSize, HeadCount = shape.HeadCount,
            KeyValueHeadCount = shape.KeyValueHeadCount,
            KvCache = kvCache,
            KvCacheBytesPerToken = 2L * shape.LayerCount * shape.KeyValueHeadCount * shape.HeadDim * (kvCache == KvCacheType.F16 ? 2 : sizeof(float)),
        };
    }
}
