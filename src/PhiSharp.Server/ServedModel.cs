using PhiSharp.Models;
using PhiSharp.Models.Phi3Vision;
using PhiSharp.Server.Embeddings;
using PhiSharp.Server.Rag;

namespace PhiSharp.Server;

/// <summary>What the endpoints share: the model, the id clients call it by, the slots, the server's options and the
/// embedding model and the document store when there are.</summary>
sealed class ServedModel(LanguageModel model, string id, SlotPool slots, ServerOptions options, ServedEmbedder? embedder, ServedRag? rag)
{
    public LanguageModel Model { get; } = model;
    public string Id { get; } = id;
    public SlotPool Slots { get; } = slots;
    public ServerOptions Options { get; } = options;
    public ServedEmbedder? Embedder { get; } = embedder;
    public ServedRag? Rag { get; } = rag;

    /// <summary>The image encoder of a Phi-3-vision model; null for a model that takes no images.</summary>
    public Phi3VisionModel? Vision => _vision.Value;

    readonly Lazy<Phi3VisionModel?> _vision = new(() =>
    {
        try
        {
            return new Phi3VisionModel(model);
        }
        catch (UnsupportedModelException)
        {
            return null;
        }
    });

    /// <summary>OpenAI's system_fingerprint: names the backend configuration that produced a reply.</summary>
    public const string Fingerprint = "fp_phisharp";

    /// <summary>Unix seconds when the server started: the model's "created".</summary>
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
