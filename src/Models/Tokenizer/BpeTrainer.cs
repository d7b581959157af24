using System.Text;

namespace Interp.Tokenizer;

/// <summary>
/// Trains a byte-level BPE (<see cref="BpeTokenizer"/>) as GPT-2's was made: the texts are cut into pre-tokens
/// (<see cref="ByteLevel.PreTokens"/>), equal pre-tokens are counted once with their frequency, and each step merges the
/// most frequent adjacent pair of tokens (ties: the smaller left id, then the smaller right id) into a new token.
/// Pair counts are kept up to date incrementally — a merge touches only the words that hold the pair — and the next
/// pair comes from a max-heap whose stale entries are re-queued with their current count (counts of existing pairs
/// only fall; new pairs all hold the new token). A merge whose bytes equal an existing token's is skipped, so every
/// token has its own bytes and vocab.json is one-to-one.
/// </summary>
public static class BpeTrainer
{
    /// <param name="vocabSize">bytes (256) + merges + &lt;|endoftext|&gt;; training stops early when no pair occurs twice</param>
    /// <param name="progress">called with (merges done, merges wanted) every 256 merges</param>
    public static BpeTokenizer Train(IEnumerable<string> texts, int vocabSize = 4096, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vocabSize < 257) throw new ArgumentException($"bpe trainer: the vocabulary must hold the 256 bytes and <|endoftext|>, got {vocabSize}");
        int wanted = vocabSize - 257;
        var (words, freqs) = CountWords(texts);

        var tokenBytes = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList();
        var known = new HashSet<string>(tokenBytes.Select(Key));
        var counts = new Dictionary<(int, int), long>();
        var where = new Dictionary<(int, int), HashSet<int>>();
        for (int w = 0; w < words.Count; w++)
            for (int i = 0; i + 1 < words[w].Count; i++) Add((words[w][i], words[w][i + 1]), w, freqs[w]);

        var heap = new PriorityQueue<(int, int), (long Count, int Left, int Right)>(Comparer<(long Count, int Left, int Right)>.Create(
            (a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Left != b.Left ? a.Left.CompareTo(b.Left) : a.Right.CompareTo(b.Right)));
        foreach (var (pair, c) in counts) heap.Enqueue(pair, (c, pair.Item1, pair.Item2));

        var merges = new List<(int, int)>();
        while (merges.Count < wanted && heap.TryDequeue(out var pair, out var queued))
        {
            long current = counts.GetValueOrDefault(pair);
            if (current != queued.Count)
            {
                if (current > 0) heap.Enqueue(pair, (current, pair.Item1, pair.Item2));
                continue;
            }
            if (current < 2) break;
            byte[] bytes = [.. tokenBytes[pair.Item1], .. tokenBytes[pair.Item2]];
            if (!known.Add(Key(bytes))) continue;   // another pair already made these bytes: skip this one for good
            int merged = tokenBytes.Count;
            tokenBytes.Add(bytes);
            merges.Add(pair);
            var touched = new HashSet<(int, int)>();
            foreach (int w in where[pair].ToArray()) Merge(w, pair, merged, touched);
            foreach (var p in touched)
                if (counts.TryGetValue(p, out long c) && c > 0) heap.Enqueue(p, (c, p.Item1, p.Item2));
            if (merges.Count % 256 == 0) progress?.Invoke(merges.Count, wanted);
        }
        progress?.Invoke(merges.Count, wanted);
        return new BpeTokenizer(merges);

        void Add((int, int) p, int w, long f)
        {
            counts[p] = counts.GetValueOrDefault(p) + f;
            if (!where.TryGetValue(p, out var set)) where[p] = set = [];
            set.Add(w);
        }

        void Remove((int, int) p, long f) => counts[p] -= f;   // `where` may keep stale words; Merge rechecks

        // replaces every (a, b) in word w, left to right, by the merged token, moving the counts of the neighbours' pairs
        void Merge(int w, (int A, int B) pair, int merged, HashSet<(int, int)> touched)
        {
            var s = words[w];
            long f = freqs[w];
            for (int i = 0; i + 1 < s.Count; i++)
            {
                if (s[i] != pair.A || s[i + 1] != pair.B) continue;
                if (i > 0) { Remove((s[i - 1], pair.A), f); Add((s[i - 1], merged), w, f); touched.Add((s[i - 1], merged)); }
                if (i + 2 < s.Count) { Remove((pair.B, s[i + 2]), f); Add((merged, s[i + 2]), w, f); touched.Add((merged, s[i + 2])); }
                Remove(pair, f);
                s[i] = merged;
                s.RemoveAt(i + 1);
            }
        }
    }

    /// <summary>The distinct pre-tokens of the texts as byte lists, with how often each occurs (in first-seen order).</summary>
    static (List<List<int>> Words, List<long> Freqs) CountWords(IEnumerable<string> texts)
    {
        var index = new Dictionary<string, int>();
        var words = new List<List<int>>();
        var freqs = new List<long>();
        foreach (string text in texts)
            foreach (string piece in ByteLevel.PreTokens(text))
            {
                if (index.TryGetValue(piece, out int w)) { freqs[w]++; continue; }
                index[piece] = words.Count;
                words.Add(Encoding.UTF8.GetBytes(piece).Select(b => (int)b).ToList());
                freqs.Add(1);
            }
        return (words, freqs);
    }

    static string Key(byte[] bytes) => Convert.ToHexString(bytes);
}
