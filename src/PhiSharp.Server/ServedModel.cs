using PhiSharp.Server.Embeddings;

namespace PhiSharp.Server;

/// <summary>What the endpoints share: the model, the id clients call it by, the slots, the server's options and the
/// embedding model when there is one.</summary>
sealed class ServedModel(LanguageModel model, string id, SlotPool slots, ServerOptions options, ServedEmbedder? embedder)
{
    public LanguageModel Model { get; } = model;
    public string Id { get; } = id;
    public SlotPool Slots { get; } = slots;
    public ServerOptions Options { get; } = options;
    public ServedEmbedder? Embedder { get; } = embedder;

    /// <summary>OpenAI's system_fingerprint: names the backend configuration that produced a reply.</summary>
    public const string Fingerprint = "fp_phisharp";

    /// <summary>Unix seconds when the server started: the model's "created".</summary>
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
