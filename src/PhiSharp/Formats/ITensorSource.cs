using PhiSharp.Tensors;

namespace PhiSharp.Formats;

/// <summary>Something that holds named tensors: a GGUF file or a (possibly sharded) safetensors checkpoint.
/// Tensor views stay valid until the source is disposed.</summary>
internal interface ITensorSource : IDisposable
{
    /// <summary>The file or folder the tensors come from, for error messages.</summary>
    string Path { get; }

    IReadOnlyCollection<string> TensorNames { get; }

    bool TryGetTensor(string name, out WeightTensor tensor);

    /// <summary>Hands a matrix whose bytes are the source's own to rewrite (read into memory, not mapped) to
    /// <paramref name="prepare"/>, which rewrites them in place and returns the layout it left them in; from then on
    /// <see cref="TryGetTensor"/> hands the tensor out in that layout. A matrix already prepared is handed out as it is.
    /// False, and nothing changed, where the bytes are not the source's to rewrite. Formats never lay out weights
    /// themselves: Compute/WeightPreparation decides, per kernel tier.</summary>
    bool TryPrepareInPlace(string name, PrepareInPlace prepare, out WeightTensor tensor)
    {
        tensor = default;
        return false;
    }
}

/// <summary>Rewrites a matrix's bytes in place for the kernels and returns their new layout.</summary>
internal delegate WeightLayout PrepareInPlace(in WeightTensor tensor);
