/**
 * Reference data the generator draws people from: countries with their currency, phone prefix,
 * postcode shape, cities (with coordinates) and public IPv4 blocks, plus first and last names.
 * The IP blocks are disjoint per country and disjoint from the known-bad ranges.
 */

export interface City {
  name: string;
  lat: number;
  lon: number;
}

export interface CountryProfile {
  code: string;
  currency: string;
  phonePrefix: string;
  /** Relative share of applications. */
  weight: number;
  /** Income scale versus the baseline (GB = 1). */
  incomeScale: number;
  /** Postcode shape: `A` a letter, `9` a digit, anything else literal. */
  postcode: string;
  cities: readonly City[];
  /** First octets of the IPv4 blocks addresses from this country are drawn from. */
  ipFirstOctets: readonly number[];
  streets: readonly string[];
}

export const COUNTRIES: readonly CountryProfile[] = [
  {
    code: 'GB',
    currency: 'GBP',
    phonePrefix: '+44 7',
    weight: 30,
    incomeScale: 1,
    postcode: 'AA9 9AA',
    cities: [
      { name: 'London', lat: 51.507, lon: -0.128 },
      { name: 'Manchester', lat: 53.48, lon: -2.242 },
      { name: 'Birmingham', lat: 52.486, lon: -1.89 },
      { name: 'Leeds', lat: 53.8, lon: -1.549 },
      { name: 'Glasgow', lat: 55.864, lon: -4.252 },
    ],
    ipFirstOctets: [81, 86],
    streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Park Avenue'],
  },
  {
    code: 'DE',
    currency: 'EUR',
    phonePrefix: '+49 15',
    weight: 22,
    incomeScale: 1.05,
    postcode: '99999',
    cities: [
      { name: 'Berlin', lat: 52.52, lon: 13.405 },
      { name: 'Hamburg', lat: 53.551, lon: 9.994 },
      { name: 'München', lat: 48.135, lon: 11.582 },
      { name: 'Köln', lat: 50.938, lon: 6.96 },
    ],
    ipFirstOctets: [84, 91],
    streets: ['Hauptstraße', 'Schulstraße', 'Gartenweg', 'Bahnhofstraße', 'Lindenallee'],
  },
  {
    code: 'FR',
    currency: 'EUR',
    phonePrefix: '+33 6',
    weight: 18,
    incomeScale: 0.95,
    postcode: '99999',
    cities: [
      { name: 'Paris', lat: 48.857, lon: 2.352 },
      { name: 'Lyon', lat: 45.764, lon: 4.836 },
      { name: 'Marseille', lat: 43.297, lon: 5.37 },
      { name: 'Toulouse', lat: 43.605, lon: 1.444 },
    ],
    ipFirstOctets: [90, 92],
    streets: ['Rue de la Paix', 'Avenue Victor Hugo', 'Rue Pasteur', 'Boulevard Voltaire'],
  },
  {
    code: 'ES',
    currency: 'EUR',
    phonePrefix: '+34 6',
    weight: 12,
    incomeScale: 0.75,
    postcode: '99999',
    cities: [
      { name: 'Madrid', lat: 40.417, lon: -3.704 },
      { name: 'Barcelona', lat: 41.385, lon: 2.173 },
      { name: 'Valencia', lat: 39.47, lon: -0.376 },
    ],
    ipFirstOctets: [83, 88],
    streets: ['Calle Mayor', 'Avenida de la Constitución', 'Calle del Sol', 'Paseo de Gracia'],
  },
  {
    code: 'PL',
    currency: 'PLN',
    phonePrefix: '+48 5',
    weight: 10,
    incomeScale: 2.4,
    postcode: '99-999',
    cities: [
      { name: 'Warszawa', lat: 52.23, lon: 21.012 },
      { name: 'Kraków', lat: 50.065, lon: 19.945 },
      { name: 'Łódź', lat: 51.759, lon: 19.456 },
    ],
    ipFirstOctets: [78, 89],
    streets: ['ulica Długa', 'ulica Kwiatowa', 'ulica Polna', 'aleja Niepodległości'],
  },
  {
    code: 'IE',
    currency: 'EUR',
    phonePrefix: '+353 8',
    weight: 8,
    incomeScale: 1.1,
    postcode: 'A99 A9A9',
    cities: [
      { name: 'Dublin', lat: 53.35, lon: -6.26 },
      { name: 'Cork', lat: 51.899, lon: -8.475 },
    ],
    ipFirstOctets: [87, 93],
    streets: ['Main Street', 'O’Connell Street', 'Church Road', 'Strand Road'],
  },
];

/** Countries fraudsters appear to connect from in the geo-mismatch scenario (not address countries). */
export const REMOTE_COUNTRIES: readonly CountryProfile[] = [
  {
    code: 'NG',
    currency: 'NGN',
    phonePrefix: '+234 80',
    weight: 1,
    incomeScale: 1,
    postcode: '999999',
    cities: [{ name: 'Lagos', lat: 6.524, lon: 3.379 }],
    ipFirstOctets: [102, 105],
    streets: [],
  },
  {
    code: 'VN',
    currency: 'VND',
    phonePrefix: '+84 9',
    weight: 1,
    incomeScale: 1,
    postcode: '999999',
    cities: [{ name: 'Hanoi', lat: 21.028, lon: 105.834 }],
    ipFirstOctets: [113, 115],
    streets: [],
  },
  {
    code: 'BR',
    currency: 'BRL',
    phonePrefix: '+55 11',
    weight: 1,
    incomeScale: 1,
    postcode: '99999-999',
    cities: [{ name: 'São Paulo', lat: -23.55, lon: -46.633 }],
    ipFirstOctets: [177, 179],
    streets: [],
  },
  {
    code: 'US',
    currency: 'USD',
    phonePrefix: '+1 212',
    weight: 1,
    incomeScale: 1,
    postcode: '99999',
    cities: [{ name: 'New York', lat: 40.713, lon: -74.006 }],
    ipFirstOctets: [24, 67],
    streets: [],
  },
];

export const FIRST_NAMES = [
  'Olivia',
  'Amelia',
  'Isla',
  'Ava',
  'Mia',
  'Sophie',
  'Emma',
  'Hannah',
  'Léa',
  'Chloé',
  'Lucía',
  'Martina',
  'Zofia',
  'Julia',
  'Aoife',
  'Siobhán',
  'Noah',
  'Oliver',
  'George',
  'Leo',
  'Jack',
  'Lukas',
  'Finn',
  'Paul',
  'Hugo',
  'Louis',
  'Gabriel',
  'Mateo',
  'Pablo',
  'Jakub',
  'Antoni',
  'Seán',
  'Conor',
  'Amir',
  'Priya',
  'Mohammed',
  'Fatima',
  'Chen',
  'Yusuf',
  'Zoë',
] as const;

export const LAST_NAMES = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Martin',
  'Bernard',
  'Dubois',
  'Lefèvre',
  'García',
  'Fernández',
  'López',
  'Martínez',
  'Nowak',
  'Kowalski',
  'Wiśniewski',
  'Murphy',
  'Kelly',
  "O'Brien",
  'Byrne',
  'Patel',
  'Khan',
  'Singh',
  'Nguyen',
  'Rossi',
  'Novák',
] as const;

export const EMAIL_DOMAINS = ['mail.example', 'post.example', 'inbox.example', 'webmail.example'] as const;

export const EMPLOYERS = [
  'Northwind Logistics',
  'Contoso Health',
  'Fabrikam Retail',
  'Adatum Engineering',
  'Tailspin Travel',
  'Wide World Importers',
  'Litware Software',
  'Proseware Finance',
  'City Council',
  'National Rail',
  'University Hospital',
  'Alpine Ski House',
] as const;

export const USER_AGENTS = {
  web: [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  ],
  mobile: [
    'CreditApp/4.2.1 (iPhone; iOS 18.1)',
    'CreditApp/4.2.1 (Android 15; Pixel 8)',
    'CreditApp/4.1.7 (Android 14; SM-S918B)',
  ],
} as const;
