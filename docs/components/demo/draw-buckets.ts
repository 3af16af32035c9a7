// Draws a BucketPicture: one strip per (head, round) with the positions in the order LSH attention sorts them
// (by bucket, then position), each cell coloured by its bucket and labelled with its position; the first copy
// of w is drawn light, the second dark, the separators grey. Lines mark the chunk boundaries: a position
// attends within its chunk and the one before it, so tokens of one colour in one chunk can see each other.
import type {BucketPicture} from './buckets.js';

const CELL = {width: 18, height: 24, gap: 8, label: 44, top: 4};

/** The canvas size that fits the picture, in CSS pixels. */
export function pictureSize(picture: BucketPicture): {width: number; height: number} {
  const strips = picture.heads * picture.rounds;
  return {width: CELL.label + picture.length * CELL.width + 2, height: CELL.top + strips * (CELL.height + CELL.gap)};
}

function bucketColour(bucket: number, buckets: number, light: boolean): string {
  const hue = Math.round((360 * bucket) / buckets);
  return `hsl(${hue} 70% ${light ? 78 : 45}%)`;
}

export function drawBuckets(context: CanvasRenderingContext2D, picture: BucketPicture, wordLength: number, textColour: string): void {
  const {length, heads, rounds, chunkLength, bucketsPerRound, buckets} = picture;
  const {width, height} = pictureSize(picture);
  context.clearRect(0, 0, width, height);
  context.font = '9px ui-monospace, monospace';
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < rounds; r++) {
      const row = (h * rounds + r) * length;
      const y = CELL.top + (h * rounds + r) * (CELL.height + CELL.gap);
      // The sorted order: by bucket, ties by position (what sortByBuckets gives).
      const order = Array.from({length}, (_, t) => t).sort((a, b) => buckets[row + a]! - buckets[row + b]! || a - b);
      context.fillStyle = textColour;
      context.textAlign = 'left';
      context.fillText(`h${h} r${r}`, 0, y + CELL.height / 2); // head h, hash round r
      context.textAlign = 'center';
      order.forEach((position, slot) => {
        const x = CELL.label + slot * CELL.width;
        const separator = position === 0 || position === wordLength + 1;
        context.fillStyle = separator ? '#999' : bucketColour(buckets[row + position]!, bucketsPerRound, position <= wordLength);
        context.fillRect(x, y, CELL.width - 1, CELL.height);
        context.fillStyle = separator || position > wordLength ? '#fff' : '#000';
        context.fillText(String(position), x + CELL.width / 2, y + CELL.height / 2);
      });
      context.strokeStyle = textColour;
      for (let slot = chunkLength; slot < length; slot += chunkLength) {
        const x = CELL.label + slot * CELL.width - 0.5;
        context.beginPath();
        context.moveTo(x, y - 3);
        context.lineTo(x, y + CELL.height + 3);
        context.stroke();
      }
    }
  }
}
