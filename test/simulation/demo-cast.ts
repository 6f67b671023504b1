import { londonTime } from "./clock";
import { SeededRandom } from "./random";
import { PLOTS, placeProspect, type Plot, type Prospect } from "./scenario";

/**
 * Enquiries per month relative to an average month, January first. Invented for the demo: a law firm's busy
 * months after New Year and the summer holidays, and quiet ones in August and December.
 */
const MONTH_FACTORS = [1.4, 1.2, 1.1, 1.0, 1.0, 0.9, 0.8, 0.6, 1.3, 1.2, 1.0, 0.6];
/** Average new prospects on a working day and on a weekend day, before the month factor. */
const WEEKDAY_RATE = 1.1;
const WEEKEND_RATE = 0.25;
/** The firm grows by this share over the run, so a year-on-year comparison shows growth. */
const GROWTH = 0.2;

/**
 * Casts many prospects for the demo history: every day from day 0 to `lastDay` gets a seeded number of new
 * prospects, following the month and weekday patterns above. Each takes a plot, chosen in proportion to how
 * many prospects the four-month test casts in it, and starts it that day.
 */
export function castDemoProspects(seed: number, lastDay: number): Prospect[] {
  const random = new SeededRandom(seed);
  const weighted = PLOTS.map((plot) => ({ plot, weight: plot.casting.reduce((sum, casting) => sum + casting.cast, 0) }));
  const totalWeight = weighted.reduce((sum, entry) => sum + entry.weight, 0);
  const pickPlot = (): Plot => {
    let ticket = random.next() * totalWeight;
    for (const entry of weighted) {
      ticket -= entry.weight;
      if (ticket < 0) return entry.plot;
    }
    return weighted.at(-1)!.plot;
  };

  const prospects: Prospect[] = [];
  for (let day = 0; day <= lastDay; day++) {
    const noon = londonTime(day, "12:00");
    const weekend = noon.getUTCDay() === 0 || noon.getUTCDay() === 6;
    const rate = (weekend ? WEEKEND_RATE : WEEKDAY_RATE) * MONTH_FACTORS[noon.getUTCMonth()]! * (1 + (GROWTH * day) / lastDay);
    const count = Math.floor(rate) + (random.next() < rate - Math.floor(rate) ? 1 : 0);
    for (let index = 0; index < count; index++) {
      const key = `d${String(prospects.length + 1).padStart(4, "0")}`;
      prospects.push(placeProspect(random, key, pickPlot(), `started on day ${day}`, day, lastDay));
    }
  }
  return prospects;
}
