using Interp.Tokenizer;

namespace Interp.Data;

/// <summary>
/// A <see cref="CodeCorpus"/> as token ids: every file is encoded on its own and preceded by the end-of-text token,
/// which marks where a document starts (as in GPT-2's training data). Training files are joined into one stream that
/// batches cut random windows from; held-out files stay apart, so held-out windows can start at a file's beginning and a
/// position in the window is a position in the file (<see cref="HeldOutWindows"/>), or be spread over all of them as
/// training windows are (<see cref="HeldOutSample"/>).
/// </summary>
public sealed class CodeTokens
{
    CodeTokens(int[] train, IReadOnlyList<int[]> heldOutFiles) => (Train, HeldOutFiles) = (train, heldOutFiles);

    /// <summary>The training files' tokens, each file as [EOT] + its tokens, in list order.</summary>
    public int[] Train { get; }

    /// <summary>Each held-out file as [EOT] + its tokens.</summary>
    public IReadOnlyList<int[]> HeldOutFiles { get; }

    public long HeldOutTokens => HeldOutFiles.Sum(f => (long)f.Length);

    public static CodeTokens Encode(CodeCorpus corpus, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(tokenizer);
        int[] File(CorpusFile f) => [tokenizer.EndOfText, .. tokenizer.Encode(corpus.Read(f))];
        var train = corpus.Train.AsParallel().AsOrdered().Select(File).ToList();
        var heldOut = corpus.HeldOut.AsParallel().AsOrdered().Select(File).ToList();
        return new CodeTokens(train.SelectMany(f => f).ToArray(), heldOut);
    }

    /// <summary>
    /// The same tokens renumbered densely: the ids that occur in the training stream, in increasing order, become
    /// 0..n−1 (<paramref name="kept"/>[new id] is the tokenizer's id). A model over the n ids has no embedding or unembedding
    /// row that training never touches — a byte-level BPE's vocabulary holds all 256 bytes and every intermediate merge,
    /// most of which a small text never uses, and those untrained rows both slow the training of small models and fill
    /// the random tokens of a head scan with tokens the model has never seen. A held-out token absent from training is refused.
    /// </summary>
    public CodeTokens Compact(out int[] kept)
    {
        kept = Train.Distinct().Order().ToArray();
        var index = new Dictionary<int, int>(kept.Length);
        for (int i = 0; i < kept.Length; i++) index[kept[i]] = i;
        int Renumber(int id) => index.TryGetValue(id, out int dense) ? dense
            : throw new ArgumentException($"code tokens: held-out token {id} never occurs in the training files, so a compact vocabulary has no id for it");
        return new CodeTokens(Array.ConvertAll(Train, Renumber), HeldOutFiles.Select(f => Array.ConvertAll(f, Renumber)).ToList());
    }

    /// <summary><paramref name="batch"/> windows of <paramref name="length"/> consecutive training tokens at random starts, int32 [batch, length].</summary>
    public Tensor TrainBatch(int batch, int length, Generator gen)
    {
        if (Train.Length < length)
            throw new ArgumentException($"code tokens: windows of {length} tokens need a longer training stream than {Train.Length} tokens (add files or shorten the context)");
        var data = new int[batch * length];
        for (int b = 0; b < batch; b++)
            Array.Copy(Train, gen.NextInt(Train.Length - length + 1), data, b * length, length);
        return Tensor.FromArray(data, [batch, length]);
    }

    /// <summary>
    /// <paramref name="count"/> windows of <paramref name="length"/> tokens at evenly spaced starts over the held-out
    /// files joined into one stream (the first at its start, the last ending at its end), int32 [count, length]. Like a
    /// training batch, a window may start anywhere in a file and cross into the next, so every position of the window sees
    /// the same mix of code; windows that open files instead put the licence and docstring at the early positions. With
    /// <paramref name="shift"/> &gt; 0, the result is [2 · count, length]: the count windows, then the same windows
    /// <paramref name="shift"/> tokens later, so that position p + shift of a first window and position p of its
    /// shifted twin predict the same token (the in-context-learning score compares a token with itself).
    /// </summary>
    public Tensor HeldOutSample(int length, int count, int shift = 0)
    {
        if (count < 1) throw new ArgumentException($"code tokens: held-out sample needs at least one window, got {count}");
        if (shift < 0) throw new ArgumentException($"code tokens: held-out sample shift must be >= 0, got {shift}");
        var stream = HeldOutFiles.SelectMany(f => f).ToArray();
        if (stream.Length < length + shift)
            throw new ArgumentException($"code tokens: windows of {length} tokens (shifted by {shift}) need a longer held-out stream than {stream.Length} tokens (add files or shorten the context)");
        int copies = shift > 0 ? 2 : 1;
        var data = new int[copies * count * length];
        long span = stream.Length - length - shift;
        for (int c = 0; c < copies; c++)
            for (int i = 0; i < count; i++)
                Array.Copy(stream, (count == 1 ? 0 : span * i / (count - 1)) + c * shift, data, ((long)c * count + i) * length, length);
        return Tensor.FromArray(data, [copies * count, length]);
    }

    /// <summary>
    /// Up to <paramref name="max"/> held-out windows of <paramref name="length"/> tokens, int32 [n, length]: first each
    /// file's opening window (from its EOT), then each file's second window, and so on; only whole windows.
    /// </summary>
    public Tensor HeldOutWindows(int length, int max)
    {
        var windows = new List<int[]>();
        for (int chunk = 0; windows.Count < max; chunk++)
        {
            bool any = false;
            foreach (var f in HeldOutFiles)
            {
                if ((chunk + 1) * length > f.Length) continue;
                any = true;
                windows.Add(f.AsSpan(chunk * length, length).ToArray());
                if (windows.Count == max) break;
            }
            if (!any) break;
        }
        if (windows.Count == 0)
            throw new ArgumentException($"code tokens: no held-out file has {length} tokens (the longest has {HeldOutFiles.Max(f => f.Length)}); shorten the context or add files");
        return Tensor.FromArray(windows.SelectMany(w => w).ToArray(), [windows.Count, length]);
    }
}
