namespace PhiSharp.Generation.Constraints;

/// <summary>What the generator asks of a constraint before and after each token.</summary>
internal interface IOutputConstraint
{
    /// <summary>Most tokens the shortest allowed output needs.</summary>
    int ShortestCompletion { get; }

    /// <summary>Sets every disallowed logit to −∞.</summary>
    /// <param name="remaining">Tokens that may still be generated, this one included.</param>
    void Mask(Span<float> logits, int remaining);

    /// <summary>Moves past the sampled token.</summary>
    void Accept(int id);

    /// <summary>Whether <paramref name="id"/>, just accepted, ends the output (besides the model's stop tokens).</summary>
    bool Ends(int id);
}
