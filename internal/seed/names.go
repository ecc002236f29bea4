package seed

// Name tables. The combinations are random, so no record describes a real
// person; the lists are common US given names and surnames.

var maleNames = [...]string{
	"James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Christopher",
	"Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Andrew", "Paul", "Joshua",
	"Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Jason", "Edward", "Jeffrey", "Ryan",
	"Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
	"Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry",
	"Tyler", "Aaron", "Henry", "Douglas", "Peter", "Adam", "Nathan", "Zachary", "Walter", "Kyle",
	"Harold", "Carl", "Jeremy", "Gerald", "Keith", "Roger", "Arthur", "Terry", "Lawrence", "Sean",
	"Christian", "Ethan", "Austin", "Joe", "Albert", "Jesse", "Willie", "Billy", "Bryan", "Bruce",
	"Noah", "Jordan", "Dylan", "Ralph", "Roy", "Alan", "Wayne", "Eugene", "Juan", "Gabriel",
	"Louis", "Russell", "Randy", "Vincent", "Philip", "Logan", "Bobby", "Harry", "Johnny", "Howard",
	"Liam", "Mason", "Elijah", "Oliver", "Lucas", "Aiden", "Caleb", "Owen", "Wyatt", "Levi",
	"Isaac", "Hunter", "Connor", "Evan", "Isaiah", "Landon", "Jaxon", "Grayson", "Julian", "Theodore",
}

var femaleNames = [...]string{
	"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
	"Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
	"Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Dorothy", "Rebecca", "Sharon", "Laura", "Cynthia",
	"Amy", "Kathleen", "Angela", "Shirley", "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha",
	"Katherine", "Christine", "Helen", "Debra", "Rachel", "Carolyn", "Janet", "Maria", "Catherine", "Heather",
	"Diane", "Olivia", "Julie", "Joyce", "Victoria", "Ruth", "Virginia", "Lauren", "Kelly", "Christina",
	"Joan", "Evelyn", "Judith", "Andrea", "Hannah", "Megan", "Cheryl", "Jacqueline", "Martha", "Madison",
	"Teresa", "Gloria", "Sara", "Janice", "Ann", "Kathryn", "Abigail", "Sophia", "Frances", "Jean",
	"Alice", "Judy", "Isabella", "Julia", "Grace", "Amber", "Denise", "Danielle", "Marilyn", "Beverly",
	"Charlotte", "Natalie", "Theresa", "Diana", "Brittany", "Doris", "Kayla", "Alexis", "Lori", "Marie",
	"Ava", "Mia", "Harper", "Amelia", "Ella", "Chloe", "Aria", "Scarlett", "Lily", "Zoey",
	"Nora", "Riley", "Layla", "Penelope", "Stella", "Aurora", "Violet", "Hazel", "Audrey", "Claire",
}

// Hispanic, Asian and African American naming patterns differ enough that a
// demo patient list looks wrong without them.
var hispanicMaleNames = [...]string{
	"Jose", "Luis", "Carlos", "Jorge", "Miguel", "Alejandro", "Diego", "Javier", "Fernando", "Ricardo",
	"Eduardo", "Manuel", "Francisco", "Mateo", "Santiago", "Andres", "Rafael", "Hector", "Roberto", "Sergio",
}

var hispanicFemaleNames = [...]string{
	"Maria", "Guadalupe", "Sofia", "Valentina", "Camila", "Lucia", "Isabel", "Gabriela", "Ana", "Rosa",
	"Carmen", "Elena", "Veronica", "Adriana", "Daniela", "Mariana", "Ximena", "Paula", "Alejandra", "Fernanda",
}

var asianMaleNames = [...]string{
	"Wei", "Jian", "Hao", "Minh", "Duc", "Hiroshi", "Kenji", "Raj", "Arjun", "Vikram",
	"Sung", "Jae", "Tuan", "Kevin", "Daniel", "Ravi", "Anil", "Takashi", "Bao", "Jun",
}

var asianFemaleNames = [...]string{
	"Mei", "Li", "Xin", "Linh", "Mai", "Yuki", "Aiko", "Priya", "Anjali", "Deepa",
	"Ji-woo", "Min-ji", "Thuy", "Grace", "Jenny", "Sakura", "Lan", "Hana", "Kavya", "Ying",
}

var surnames = [...]string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
	"Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
	"Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams",
	"Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
	"Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Peterson", "Cooper",
	"Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson",
	"Brooks", "Bennett", "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross",
	"Foster", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Fisher", "Henderson", "Coleman", "Simmons",
	"Patterson", "Jordan", "Reynolds", "Hamilton", "Graham", "Wallace", "Woods", "Cole", "West", "Owens",
	"Marshall", "Ellis", "Harrison", "Gibson", "McDonald", "Griffin", "Hayes", "Barnes", "Ford", "Wells",
	"Hunt", "Palmer", "Mills", "Holmes", "Rice", "Robertson", "Hunter", "Black", "Daniels", "Stephens",
	"Snyder", "Fox", "Warren", "Johnston", "Burns", "Gordon", "Shaw", "Holland", "Schmidt", "Weber",
	"Meyer", "Wagner", "Becker", "Schultz", "Larson", "Olson", "Hansen", "Nielsen", "Lindqvist", "Kowalski",
	"Novak", "Nowak", "Romano", "Russo", "Ricci", "Esposito", "Costa", "O'Brien", "O'Connor", "Kennedy",
	"Quinn", "Doyle", "Walsh", "Byrne", "Fitzgerald", "Dunn", "Hart", "Hudson", "Lawson", "Bishop",
	"Freeman", "Washington", "Jefferson", "Banks", "Booker", "Dixon", "Mack", "Battle", "Gaines", "Pierce",
}

var hispanicSurnames = [...]string{
	"Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres",
	"Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Morales", "Reyes", "Gutierrez", "Ortiz", "Ramos",
	"Castillo", "Jimenez", "Vasquez", "Romero", "Herrera", "Medina", "Aguilar", "Vargas", "Castro", "Mendoza",
	"Ruiz", "Alvarez", "Chavez", "Delgado", "Salazar", "Navarro", "Soto", "Guerrero", "Rios", "Estrada",
}

var asianSurnames = [...]string{
	"Nguyen", "Tran", "Le", "Pham", "Chen", "Wang", "Li", "Zhang", "Liu", "Yang",
	"Huang", "Wu", "Kim", "Park", "Choi", "Patel", "Shah", "Singh", "Kumar", "Gupta",
	"Tanaka", "Suzuki", "Yamamoto", "Nakamura", "Santos", "Reyes", "Cruz", "Bautista", "Wong", "Chang",
}

// nicknames pairs formal given names with the name people use.
var nicknames = [...][2]string{
	{"William", "Bill"}, {"Robert", "Bob"}, {"Richard", "Rick"}, {"James", "Jim"}, {"Michael", "Mike"},
	{"Thomas", "Tom"}, {"Joseph", "Joe"}, {"Christopher", "Chris"}, {"Daniel", "Dan"}, {"Matthew", "Matt"},
	{"Anthony", "Tony"}, {"Donald", "Don"}, {"Steven", "Steve"}, {"Andrew", "Andy"}, {"Kenneth", "Ken"},
	{"Timothy", "Tim"}, {"Ronald", "Ron"}, {"Edward", "Ed"}, {"Jeffrey", "Jeff"}, {"Nicholas", "Nick"},
	{"Jonathan", "Jon"}, {"Benjamin", "Ben"}, {"Samuel", "Sam"}, {"Alexander", "Alex"}, {"Gregory", "Greg"},
	{"Patrick", "Pat"}, {"Zachary", "Zach"}, {"Theodore", "Ted"}, {"Lawrence", "Larry"}, {"Eugene", "Gene"},
	{"Elizabeth", "Liz"}, {"Patricia", "Patty"}, {"Jennifer", "Jen"}, {"Margaret", "Peggy"}, {"Kimberly", "Kim"},
	{"Deborah", "Debbie"}, {"Rebecca", "Becky"}, {"Katherine", "Kate"}, {"Christine", "Chris"}, {"Samantha", "Sam"},
	{"Catherine", "Cathy"}, {"Victoria", "Vicky"}, {"Jacqueline", "Jackie"}, {"Kathryn", "Katie"}, {"Abigail", "Abby"},
	{"Alexandra", "Alex"}, {"Cynthia", "Cindy"}, {"Susan", "Sue"}, {"Dorothy", "Dot"}, {"Judith", "Judy"},
	{"Francisco", "Paco"}, {"Guadalupe", "Lupe"}, {"Alejandro", "Alex"}, {"Eduardo", "Lalo"}, {"Roberto", "Beto"},
}

func nicknameOf(given string) string {
	for _, p := range nicknames {
		if p[0] == given {
			return p[1]
		}
	}
	return ""
}
