namespace Interp.Cpu;

/// <summary>
/// The schedule both shared-operand GEMMs run (<see cref="GemmSharedB{T, TKernel}"/>, <see cref="GemmSharedA{T}"/>): a
/// sequence of steps, each packing one shared block in a few pieces and then multiplying it by every block of the other
/// operand, all pieces numbered in one sequence and claimed in turn by whichever thread is free:
/// <code>
/// pack(0) | blocks(0) | pack(1) | blocks(1) | pack(2) | ...
/// </code>
/// A block of step s waits until step s's pack is done and until the same block of step s-1 is done (both add into the
/// same part of C); packing step s+1 waits until the blocks of step s-1 are done (its buffer, one of two, is the one
/// step s-1 read). A thread only ever waits for a piece another thread is running.
/// </summary>
internal abstract class GemmStepsTask : GemmTask
{
    private int _steps, _packPieces, _blocks;
    private long _next;
    /// <summary>Pieces finished: [2s] the pack of step s, [2s + 1] its blocks.</summary>
    private int[] _done = [];
    /// <summary>Steps finished per block: the steps of one block add into the same part of C, so run in order.</summary>
    private int[] _blockSteps = [];

    protected int PackPieces => _packPieces;

    /// <summary>Starts a new schedule of <paramref name="steps"/> steps.</summary>
    protected void Reset(int steps, int packPieces, int blocks)
    {
        _steps = steps; _packPieces = packPieces; _blocks = blocks;
        if (_done.Length < 2 * steps) _done = new int[2 * steps];
        Array.Clear(_done, 0, 2 * steps);
        if (_blockSteps.Length < blocks) _blockSteps = new int[blocks];
        Array.Clear(_blockSteps, 0, blocks);
        _next = 0;
    }

    /// <summary>Piece <paramref name="piece"/> of step <paramref name="step"/>'s shared block, packed into buffer step &amp; 1.</summary>
    protected abstract void PackPiece(int step, int piece);

    /// <summary>Block <paramref name="block"/> of step <paramref name="step"/>: the other operand's block times the shared one.</summary>
    protected abstract void MultiplyBlock(int step, int block);

    /// <summary>Every thread runs the same loop: claim the next piece, wait for what it needs, do it.</summary>
    public override void Execute(int part)
    {
        long total = (long)_steps * (_packPieces + _blocks);
        for (long piece = Interlocked.Increment(ref _next) - 1; piece < total; piece = Interlocked.Increment(ref _next) - 1)
        {
            // the sequence: pack(0), then for each step s: blocks(s), pack(s + 1)
            long after = piece - _packPieces;
            if (after < 0)
            {
                Pack(0, (int)piece);
                continue;
            }
            int step = (int)(after / (_packPieces + _blocks)), index = (int)(after % (_packPieces + _blocks));
            if (index < _blocks)
                Multiply(step, index);
            else
                Pack(step + 1, index - _blocks);
        }
    }

    private void Pack(int step, int piece)
    {
        try
        {
            if (step >= 2) WaitFor(ref _done[2 * (step - 2) + 1], _blocks);   // the blocks that read this buffer last
            PackPiece(step, piece);
        }
        finally
        {
            Interlocked.Increment(ref _done[2 * step]);
        }
    }

    private void Multiply(int step, int block)
    {
        try
        {
            WaitFor(ref _done[2 * step], _packPieces);
            WaitFor(ref _blockSteps[block], step);
            MultiplyBlock(step, block);
        }
        finally
        {
            Volatile.Write(ref _blockSteps[block], step + 1);
            Interlocked.Increment(ref _done[2 * step + 1]);
        }
    }

    private static void WaitFor(ref int counter, int count)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref counter) < count) spin.SpinOnce(sleep1Threshold: -1);
    }
}
