using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PhiSharp.Kernels;

internal static partial class FloatConversion
{
    /// <summary>
    /// .NET exposes no F16C or AVX-512 half conversion, so widening is bit arithmetic. A normal half's sign,
    /// exponent and mantissa move into float32's fields with one shift and one mask, and the exponent is rebased
    /// with one integer add (15 → 127): 4 operations per vector. Zeros, subnormals, infinities and NaNs (exponent
    /// 0 or 31) need more, so a vector holding one goes to TensorPrimitives' general conversion instead; the check
    /// costs 4 operations per vector of halves. In a decode step after 2048 tokens the general conversion, widening the
    /// float16 KV cache, took a fifth of the CPU time (docs/PERFORMANCE.md).
    /// </summary>
    public static void HalfToSingle(ReadOnlySpan<Half> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("Destination is too short.", nameof(destination));
        int i = 0;
        if (Vector512.IsHardwareAccelerated) i = HalfToSingle<Halves512>(source, destination);
        if (Vector256.IsHardwareAccelerated) i += HalfToSingle<Halves256>(source[i..], destination[i..]);
        if (Vector128.IsHardwareAccelerated) i += HalfToSingle<Halves128>(source[i..], destination[i..]);
        TensorPrimitives.ConvertToSingle(source[i..], destination[i..]);
    }

    /// <summary>Widens the longest prefix of whole vectors of <typeparamref name="TWidth"/>; returns its length.</summary>
    internal static unsafe int HalfToSingle<TWidth>(ReadOnlySpan<Half> source, Span<float> destination) where TWidth : struct, IHalfVector
    {
        int n = source.Length / TWidth.Count * TWidth.Count;
        ref short src = ref Unsafe.As<Half, short>(ref MemoryMarshal.GetReference(source));
        ref int dst = ref Unsafe.As<float, int>(ref MemoryMarshal.GetReference(destination));
        for (int i = 0; i < n; i += TWidth.Count)
        {
            if (Sse.IsSupported) Sse.Prefetch0((byte*)Unsafe.AsPointer(ref Unsafe.Add(ref src, i)) + PrefetchDistance);
            if (!TWidth.TryWidenNormal(ref Unsafe.Add(ref src, i), ref Unsafe.Add(ref dst, i)))
                TensorPrimitives.ConvertToSingle(source.Slice(i, TWidth.Count), destination.Slice(i, TWidth.Count));
        }
        return n;
    }

    /// <summary>
    /// How far ahead <see cref="HalfToSingle{TWidth}"/> asks for the halves it will read (x86; a prefetch never faults,
    /// so one past the end of the source is harmless). Attention widens a head's cached keys and values a tile at a
    /// time with the multiplications in between, and one thread then read them from memory at 8–16 GB/s, against 26
    /// for a plain read on one core. With this, one head's attention over 2048 positions (a throwaway driver over
    /// <see cref="Attention.Heads"/>, 256 heads' caches, fastest of 15 calls each way, alternating in one process) took
    /// 87 µs instead of 105, and 82 instead of 97 with 16 heads' caches in L3 (2048 bytes ahead: 89 and 100 instead of
    /// 105 and 110; 1024 and 8192 did less). A cache already in L2 (not the case in a decode step, which reads
    /// gigabytes of weights between two visits to a head) lost about 5%. AMD Zen 4, 2026-12-03.
    /// </summary>
    const int PrefetchDistance = 4096;

    /// <summary>One vector width of <see cref="HalfToSingle"/>.</summary>
    internal interface IHalfVector
    {
        /// <summary>Halves per vector.</summary>
        static abstract int Count { get; }

        /// <summary>Widens one vector of halves when all are normal; false (nothing written) when one has an exponent of
        /// 0 or 31: exponent + 1 has none of bits 11–14 set only for 0 (→ 1) and 31 (→ 32, carried out).</summary>
        static abstract bool TryWidenNormal(ref short source, ref int destination);
    }

    const short ExponentMask = 0x7C00, ExponentOne = 0x0400, ExponentUpperBits = 0x7800;

    // A normal half, sign-extended to 32 bits and shifted left by 13, has its sign at bit 31 (bits 30–28 are copies
    // of it, masked off), its exponent at bits 27–23 and its mantissa at bits 22–13: float32's fields, with the
    // exponent still biased by 15. Adding 112 to the exponent field cannot carry into the sign (1–30 + 112 < 256).
    const int SignExponentMantissa = unchecked((int)0x8FFFE000), ExponentRebase = (127 - 15) << 23;

    internal readonly struct Halves512 : IHalfVector
    {
        public static int Count => Vector512<short>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool TryWidenNormal(ref short source, ref int destination)
        {
            var half = Vector512.LoadUnsafe(ref source);
            var exponentPlusOne = (half & Vector512.Create(ExponentMask)) + Vector512.Create(ExponentOne);
            if (Vector512.EqualsAny(exponentPlusOne & Vector512.Create(ExponentUpperBits), Vector512<short>.Zero)) return false;
            var (low, high) = Vector512.Widen(half);
            (((low << 13) & Vector512.Create(SignExponentMantissa)) + Vector512.Create(ExponentRebase)).StoreUnsafe(ref destination);
            (((high << 13) & Vector512.Create(SignExponentMantissa)) + Vector512.Create(ExponentRebase)).StoreUnsafe(ref destination, (nuint)Vector512<int>.Count);
            return true;
        }
    }

    internal readonly struct Halves256 : IHalfVector
    {
        public static int Count => Vector256<short>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool TryWidenNormal(ref short source, ref int destination)
        {
            var half = Vector256.LoadUnsafe(ref source);
            var exponentPlusOne = (half & Vector256.Create(ExponentMask)) + Vector256.Create(ExponentOne);
            if (Vector256.EqualsAny(exponentPlusOne & Vector256.Create(ExponentUpperBits), Vector256<short>.Zero)) return false;
            var (low, high) = Vector256.Widen(half);
            (((low << 13) & Vector256.Create(SignExponentMantissa)) + Vector256.Create(ExponentRebase)).StoreUnsafe(ref destination);
            (((high << 13) & Vector256.Create(SignExponentMantissa)) + Vector256.Create(ExponentRebase)).StoreUnsafe(ref destination, (nuint)Vector256<int>.Count);
            return true;
        }
    }

    /// <summary>ARM64's NEON width.</summary>
    internal readonly struct Halves128 : IHalfVector
    {
        public static int Count => Vector128<short>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool TryWidenNormal(ref short source, ref int destination)
        {
            var half = Vector128.LoadUnsafe(ref source);
            var exponentPlusOne = (half & Vector128.Create(ExponentMask)) + Vector128.Create(ExponentOne);
            if (Vector128.EqualsAny(exponentPlusOne & Vector128.Create(ExponentUpperBits), Vector128<short>.Zero)) return false;
            var (low, high) = Vector128.Widen(half);
            (((low << 13) & Vector128.Create(SignExponentMantissa)) + Vector128.Create(ExponentRebase)).StoreUnsafe(ref destination);
            (((high << 13) & Vector128.Create(SignExponentMantissa)) + Vector128.Create(ExponentRebase)).StoreUnsafe(ref destination, (nuint)Vector128<int>.Count);
            return true;
        }
    }
}
