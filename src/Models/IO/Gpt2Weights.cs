using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Interp.IO;

/// <summary>The shape of a GPT-2 checkpoint, as TransformerLens's config names it.</summary>
public sealed record Gpt2Config(int NLayers, int DModel, int NHeads, int DHead, int DMlp, int DVocab, int NCtx)
{
    /// <summary>GPT-2 small: 12 layers, d_model 768, 12 heads, d_mlp 3072, vocabulary 50,257, context 1024 (124M parameters).</summary>
    public static Gpt2Config Small { get; } = new(12, 768, 12, 64, 3072, 50257, 1024);
}

/// <summary>
/// Hugging Face GPT-2 weights (GPT2LMHeadModel / GPT2Model state dicts, with or without the "transformer."
/// prefix) to TransformerLens names and layouts, as TransformerLens's convert_gpt2_weights does.
/// HF's Conv1D stores weights as [in, out] (x @ W), which is already TransformerLens's orientation; the
/// attention weights only need splitting per head.
/// </summary>
public static class Gpt2Weights
{
    /// <summary>Reads n_layers, d_model, d_mlp, d_vocab and n_ctx off the tensor shapes.</summary>
    public static Gpt2Config InferConfig(IReadOnlyDictionary<string, Tensor> hf, int nHeads) => InferConfig(new DictSource(hf, copy: false), nHeads);

    /// <summary>The same from a safetensors file's header, before any tensor is read.</summary>
    public static Gpt2Config InferConfig(SafeTensorsFile file, int nHeads) => InferConfig(new FileSource(file, DType.Float32), nHeads);

    /// <summary>
    /// The TransformerLens state dict: embed.W_E, pos_embed.W_pos, blocks.{l}.ln1.w/b, attn.W_Q/W_K/W_V
    /// [n_heads, d_model, d_head], attn.b_Q/b_K/b_V [n_heads, d_head], attn.W_O [n_heads, d_head, d_model],
    /// attn.b_O, ln2.w/b, mlp.W_in/b_in/W_out/b_out, ln_final.w/b, unembed.W_U = wte.T and unembed.b_U = 0.
    /// Every output is a fresh contiguous tensor of the input's dtype. The causal-mask buffers (attn.bias,
    /// attn.masked_bias) and a tied lm_head.weight are ignored.
    /// </summary>
    public static Dictionary<string, Tensor> ToTransformerLens(IReadOnlyDictionary<string, Tensor> hf, int nHeads)
    {
        var source = new DictSource(hf, copy: true);
        return Convert(source, InferConfig(source, nHeads), tieUnembed: false);
    }

    /// <summary>
    /// As <see cref="ToTransformerLens"/> for a dictionary the caller gives up (a checkpoint just read): the outputs are
    /// its tensors or views of them (W_Q/W_K/W_V strided views of c_attn, see <see cref="QkvViews"/>), and the unembedding is tied.
    /// </summary>
    internal static Dictionary<string, Tensor> TakeTransformerLens(IReadOnlyDictionary<string, Tensor> hf, int nHeads)
    {
        var source = new DictSource(hf, copy: false);
        return Convert(source, InferConfig(source, nHeads), tieUnembed: true);
    }

    /// <summary>
    /// The TransformerLens state dict read from a safetensors file, each tensor straight into its final layout as
    /// <paramref name="dtype"/>: where the file's dtype is <paramref name="dtype"/>, every tensor is a view of the mapped file
    /// (W_Q/W_K/W_V strided views of c_attn, see <see cref="QkvViews"/>); otherwise c_attn is split into W_Q/W_K/W_V a row
    /// at a time, so no fused copy is ever held and the peak memory is the weights themselves. With <paramref name="tieUnembed"/> there is no unembed.W_U (the model reads
    /// embed.W_Eᵀ) and no unembed.b_U (GPT-2's is zero).
    /// </summary>
    public static Dictionary<string, Tensor> ReadTransformerLens(SafeTensorsFile file, int nHeads, DType dtype = DType.Float32, bool tieUnembed = true)
    {
        var source = new FileSource(file, dtype);
        return Convert(source, InferConfig(source, nHeads), tieUnembed);
    }

    /// <summary>
    /// Writes a randomly initialised GPT-2 of shape <paramref name="c"/> as Hugging Face does: model.safetensors in
    /// GPT2Model's names (weights ~ N(0, 0.02²), LayerNorm weights 1, biases 0) and config.json beside it. For tests,
    /// benchmarks and walkthroughs where the real checkpoint cannot be downloaded.
    /// </summary>
    public static void WriteRandom(string path, Gpt2Config c, ulong seed = 1)
    {
        var gen = new Generator(seed);
        float[] Values(string name, int n) =>
            name.EndsWith(".bias") ? new float[n]
            : name.Contains("ln_") ? [.. Enumerable.Repeat(1f, n)]
            : (Tensor.Randn([n], gen) * 0.02).ToFloatArray();
        IEnumerable<(string, long[], float[])> Tensors() =>
            HfTensors(c).Select(t => (t.Name, t.Shape.Select(x => (long)x).ToArray(), Values(t.Name, t.Shape.Aggregate(1, (a, b) => a * b))));
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        SafeTensorsWriter.Write(path, Tensors());
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"),
            $$"""{"model_type": "gpt2", "n_layer": {{c.NLayers}}, "n_embd": {{c.DModel}}, "n_head": {{c.NHeads}}, "n_inner": {{c.DMlp}}, "n_positions": {{c.NCtx}}, "vocab_size": {{c.DVocab}}}""");
    }

    /// <summary>The tensors of a GPT-2 of shape <paramref name="c"/> in Hugging Face's GPT2Model names (without "transformer."), in file order.</summary>
    static IEnumerable<(string Name, int[] Shape)> HfTensors(Gpt2Config c)
    {
        int d = c.DModel;
        yield return ("wte.weight", [c.DVocab, d]);
        yield return ("wpe.weight", [c.NCtx, d]);
        for (int l = 0; l < c.NLayers; l++)
        {
            string h = $"h.{l}.";
            yield return (h + "ln_1.weight", [d]);
            yield return (h + "ln_1.bias", [d]);
            yield return (h + "attn.c_attn.weight", [d, 3 * d]);
            yield return (h + "attn.c_attn.bias", [3 * d]);
            yield return (h + "attn.c_proj.weight", [d, d]);
            yield return (h + "attn.c_proj.bias", [d]);
            yield return (h + "ln_2.weight", [d]);
            yield return (h + "ln_2.bias", [d]);
            yield return (h + "mlp.c_fc.weight", [d, c.DMlp]);
            yield return (h + "mlp.c_fc.bias", [c.DMlp]);
            yield return (h + "mlp.c_proj.weight", [c.DMlp, d]);
            yield return (h + "mlp.c_proj.bias", [d]);
        }
        yield return ("ln_f.weight", [d]);
        yield return ("ln_f.bias", [d]);
    }

    static Gpt2Config InferConfig(Source w, int nHeads)
    {
        var wte = Shape(w, "wte.weight");
        if (wte.Length != 2) throw Mismatch("wte.weight", "[d_vocab, d_model]", wte);
        int dVocab = wte[0], dModel = wte[1];
        if (nHeads <= 0 || dModel % nHeads != 0)
            throw new ArgumentException($"gpt2 weights: d_model {dModel} (from wte.weight) is not divisible by n_heads {nHeads}");
        var wpe = Shape(w, "wpe.weight");
        if (wpe.Length != 2 || wpe[1] != dModel) throw Mismatch("wpe.weight", $"[n_ctx, {dModel}]", wpe);
        int nLayers = 0;
        while (w.ShapeOf($"h.{nLayers}.ln_1.weight") is not null) nLayers++;
        if (nLayers == 0) throw new ArgumentException("gpt2 weights: no layers (missing tensor 'h.0.ln_1.weight')");
        var fc = Shape(w, "h.0.mlp.c_fc.weight");
        if (fc.Length != 2 || fc[0] != dModel) throw Mismatch("h.0.mlp.c_fc.weight", $"[{dModel}, d_mlp]", fc);
        return new Gpt2Config(nLayers, dModel, nHeads, dModel / nHeads, fc[1], dVocab, wpe[0]);
    }

    static Dictionary<string, Tensor> Convert(Source w, Gpt2Config c, bool tieUnembed)
    {
        int d = c.DModel, h = c.NHeads, dh = c.DHead;
        Tensor At(string name, params int[] shape) => w.Read(Expect(w, name, shape));

        var fusedQkv = Enumerable.Range(0, c.NLayers).Select(l => $"h.{l}.attn.c_attn.weight").ToArray();
        w.Reserve(HfTensors(c).Select(t => t.Name).Except(fusedQkv), split: fusedQkv);
        var tl = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var wte = At("wte.weight", c.DVocab, d);
        tl["embed.W_E"] = wte;
        tl["pos_embed.W_pos"] = At("wpe.weight", c.NCtx, d);
        for (int l = 0; l < c.NLayers; l++)
        {
            string hp = $"h.{l}.", bp = $"blocks.{l}.";
            tl[bp + "ln1.w"] = At(hp + "ln_1.weight", d);
            tl[bp + "ln1.b"] = At(hp + "ln_1.bias", d);

            // c_attn: x @ W with W [d_model, 3 * d_model], columns (qkv, head, d_head): "m (i h) -> i m h" per part.
            var qkv = w.ReadQkv(Expect(w, hp + "attn.c_attn.weight", [d, 3 * d]), c);
            var qkvBias = At(hp + "attn.c_attn.bias", 3 * d).Reshape(3, h, dh);
            string[] parts = ["Q", "K", "V"];
            for (int p = 0; p < 3; p++)
            {
                tl[bp + "attn.W_" + parts[p]] = qkv[p];
                tl[bp + "attn.b_" + parts[p]] = qkvBias.Select(0, p);
            }
            // c_proj: z @ W with W [d_model (head, d_head), d_model]: "(i h) m -> i h m".
            tl[bp + "attn.W_O"] = At(hp + "attn.c_proj.weight", d, d).Reshape(h, dh, d);
            tl[bp + "attn.b_O"] = At(hp + "attn.c_proj.bias", d);

            tl[bp + "ln2.w"] = At(hp + "ln_2.weight", d);
            tl[bp + "ln2.b"] = At(hp + "ln_2.bias", d);
            tl[bp + "mlp.W_in"] = At(hp + "mlp.c_fc.weight", d, c.DMlp);
            tl[bp + "mlp.b_in"] = At(hp + "mlp.c_fc.bias", c.DMlp);
            tl[bp + "mlp.W_out"] = At(hp + "mlp.c_proj.weight", c.DMlp, d);
            tl[bp + "mlp.b_out"] = At(hp + "mlp.c_proj.bias", d);
        }
        tl["ln_final.w"] = At("ln_f.weight", d);
        tl["ln_final.b"] = At("ln_f.bias", d);
        w.Finish();
        if (tieUnembed) return tl;
        tl["unembed.W_U"] = wte.T.Contiguous();
        tl["unembed.b_U"] = Tensor.Zeros([c.DVocab], wte.DType, wte.Device);
        return tl;
    }

    /// <summary>Where the Hugging Face tensors come from, by their names without "transformer.".</summary>
    abstract class Source
    {
        /// <summary>The tensor's shape, or null when there is none of that name.</summary>
        public abstract int[]? ShapeOf(string name);
        /// <summary>The tensor: a copy of its own, or the source's where the source is given up.</summary>
        public abstract Tensor Read(string name);
        /// <summary>c_attn.weight [d_model, 3·d_model] as W_Q, W_K, W_V, each [n_heads, d_model, d_head].</summary>
        public abstract Tensor[] ReadQkv(string name, Gpt2Config c);
        /// <summary>Told, before the first read, which tensors will be read (each once): by <see cref="Read"/>, and by <see cref="ReadQkv"/> (<paramref name="split"/>).</summary>
        public virtual void Reserve(IEnumerable<string> names, IEnumerable<string> split) { }
        /// <summary>Completes the reads: until then a tensor from <see cref="Read"/> may still be filling.</summary>
        public virtual void Finish() { }
    }

    sealed class DictSource(IReadOnlyDictionary<string, Tensor> hf, bool copy) : Source
    {
        readonly Dictionary<string, Tensor> w = Strip(hf);

        public override int[]? ShapeOf(string name) => w.TryGetValue(name, out var t) ? t.ShapeArray : null;
        public override Tensor Read(string name) => copy ? w[name].Clone() : w[name];

        public override Tensor[] ReadQkv(string name, Gpt2Config c)
        {
            var qkv = w[name];
            return copy ? [.. QkvViews(qkv, c).Select(t => t.Contiguous())] : QkvViews(qkv, c);
        }

        static Dictionary<string, Tensor> Strip(IReadOnlyDictionary<string, Tensor> hf)
        {
            ArgumentNullException.ThrowIfNull(hf);
            var w = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, t) in hf) w[WithoutPrefix(name)] = t;
            return w;
        }
    }

    /// <summary>
    /// W_Q, W_K, W_V [n_heads, d_model, d_head] as views of c_attn.weight [d_model, 3·d_model] (row m holds, for each part
    /// p and head h, W_p[h, m, :] at columns p·d + h·d_head): strides (d_head, 3·d_model, 1), no copy.
    /// </summary>
    static Tensor[] QkvViews(Tensor qkv, Gpt2Config c) => [.. Enumerable.Range(0, 3).Select(p =>
        qkv.Narrow(1, p * c.DModel, c.DModel).Reshape(c.DModel, c.NHeads, c.DHead).Permute(1, 0, 2))];

    /// <summary>
    /// Reads from a safetensors file. A tensor whose file dtype is the one asked for is a view of the file, mapped
    /// copy-on-write (<see cref="SafeTensorsFile.TryMap"/>): no copy, no fresh memory; W_Q/W_K/W_V are then strided
    /// views of the mapped c_attn (<see cref="QkvViews"/>). The others (another dtype) go into one storage (an arena; each tensor a contiguous view at its own 64-byte aligned offset), filled in
    /// <see cref="Finish"/> on all cores, largest first, and the mapped pages are then mapped in on all cores too. Copying
    /// costs the kernel clearing fresh pages: one allocation advised for huge pages takes a fault per 2 MiB, where a
    /// storage per tensor (most of them a little over 2 MiB, so mostly outside any aligned huge page) took 43,000 faults of
    /// 4 KiB for GPT-2 small.
    /// </summary>
    sealed class FileSource(SafeTensorsFile file, DType dtype) : Source
    {
        const int AlignBytes = 64;
        readonly Dictionary<string, string> fullNames = file.Names.ToDictionary(WithoutPrefix, n => n, StringComparer.Ordinal);
        readonly List<(long Bytes, Action Fill)> fills = [];
        readonly List<string> mapped = [];
        CpuStorage? arena;
        long used;

        public override int[]? ShapeOf(string name) =>
            fullNames.TryGetValue(name, out var full) ? file[full].Shape.Select(s => s > int.MaxValue ? -1 : (int)s).ToArray() : null;

        /// <summary>One storage for the float tensors to be copied, when they fit one array (else each gets its own).</summary>
        public override void Reserve(IEnumerable<string> names, IEnumerable<string> split)
        {
            long total = 0;
            foreach (var name in names)
                if (fullNames.TryGetValue(name, out var full) && IsFloat(file[full]) && !file.CanMap(full, dtype)) total += Slot(file[full].ElementCount);
            foreach (var name in split)
                if (fullNames.TryGetValue(name, out var full) && !file.CanMap(full, dtype)) total += Slot(file[full].ElementCount);
            if (total > 0 && total <= Array.MaxLength - AlignBytes) arena = CpuStorage.Allocate(dtype, (int)total, zeroed: false);
        }

        public override Tensor Read(string name)
        {
            var info = file[fullNames[name]];
            if (!IsFloat(info)) return TensorIO.Read(file, info.Name, dtype);
            if (file.TryMap(info.Name, dtype) is { } view)
            {
                mapped.Add(info.Name);
                return view;
            }
            var t = Take([.. info.Shape.Select(d => checked((int)d))]);
            fills.Add((info.ByteLength, () => TensorIO.ReadInto(file, info.Name, t)));
            return t;
        }

        public override Tensor[] ReadQkv(string name, Gpt2Config c)
        {
            if (file.TryMap(fullNames[name], dtype) is { } view)
            {
                mapped.Add(fullNames[name]);
                return QkvViews(view, c);
            }
            Tensor[] parts = [.. Enumerable.Range(0, 3).Select(_ => Take([c.NHeads, c.DModel, c.DHead]))];
            fills.Add((file[fullNames[name]].ByteLength, dtype == DType.Float64 ? () => Split<double>(fullNames[name], c, parts) : () => Split<float>(fullNames[name], c, parts)));
            return parts;
        }

        /// <summary>The next slot of the arena (or a storage of its own, past the reserved tensors) as a tensor of <paramref name="shape"/>.</summary>
        Tensor Take(int[] shape)
        {
            int n = ShapeUtil.Numel(shape);
            if (arena is null || used + n > arena.Length) return Tensor.Empty(shape, dtype);
            var t = new Tensor(arena, shape, offset: (int)used);
            used += Slot(n);
            return t;
        }

        /// <summary>Elements a tensor of <paramref name="n"/> takes in the arena: the next one starts on a 64-byte boundary.</summary>
        long Slot(long n)
        {
            int perLine = AlignBytes / dtype.ElementSize();
            return (n + perLine - 1) / perLine * perLine;
        }

        static bool IsFloat(SafeTensorInfo info) => info.DType is "F64" or "F32" or "F16" or "BF16";

        public override void Finish()
        {
            var largestFirst = fills.OrderByDescending(f => f.Bytes).Select(f => f.Fill).ToArray();
            fills.Clear();
            try
            {
                Parallel.ForEach(Partitioner.Create(largestFirst, EnumerablePartitionerOptions.NoBuffering),
                    new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, fill => fill());
            }
            catch (AggregateException e)
            {
                ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);   // the reader's own error (a truncated file, ...)
            }
            file.Prefetch(mapped);
        }

        /// <summary>
        /// Row m of c_attn holds, for each part p and head h, W_p[h, m, :] at columns p·d + h·d_head. Read a block of
        /// rows at a time (one read of a row each made 9,216 system calls for GPT-2 small).
        /// </summary>
        void Split<T>(string name, Gpt2Config c, Tensor[] parts) where T : unmanaged
        {
            int d = c.DModel, dh = c.DHead, rowsPerRead = Math.Max(1, Math.Min(d, (256 << 10) / (3 * d * Unsafe.SizeOf<T>())));
            var rows = ArrayPool<T>.Shared.Rent(rowsPerRead * 3 * d);
            try
            {
                for (int m0 = 0; m0 < d; m0 += rowsPerRead)
                {
                    int count = Math.Min(rowsPerRead, d - m0);
                    var block = rows.AsSpan(0, count * 3 * d);
                    if (typeof(T) == typeof(double)) file.ReadFloat64Into(name, MemoryMarshal.Cast<T, double>(block), (long)m0 * 3 * d);
                    else file.ReadFloat32Into(name, MemoryMarshal.Cast<T, float>(block), (long)m0 * 3 * d);
                    for (int p = 0; p < 3; p++)
                    {
                        var part = ((CpuStorage)parts[p].Storage).As<T>()[parts[p].Offset..];
                        for (int i = 0; i < count; i++)
                            for (int h = 0; h < c.NHeads; h++)
                                block.Slice(i * 3 * d + p * d + h * dh, dh).CopyTo(part.Slice((h * d + m0 + i) * dh, dh));
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(rows);
            }
        }
    }

    static string WithoutPrefix(string name) => name.StartsWith("transformer.", StringComparison.Ordinal) ? name["transformer.".Length..] : name;

    static int[] Shape(Source w, string name) =>
        w.ShapeOf(name) ?? throw new ArgumentException($"gpt2 weights: missing tensor '{name}'");

    static string Expect(Source w, string name, int[] shape)
    {
        var found = w.ShapeOf(name)
            ?? throw new ArgumentException($"gpt2 weights: missing tensor '{name}' (expected shape {ShapeUtil.Format(shape)})");
        if (!found.SequenceEqual(shape)) throw Mismatch(name, ShapeUtil.Format(shape), found);
        return name;
    }

    static ArgumentException Mismatch(string name, string expected, int[] found) =>
        new($"gpt2 weights: tensor '{name}' has shape {ShapeUtil.Format(found)}, expected {expected}");
}
